"""The HTTP service (FastAPI; `python main.py serve` runs it under uvicorn).

    POST /v1/transitions   TransitionBody -> {bvh, frames, generated: [first, end], fps, backend, seed, timings_ms}
    POST /v1/compare       CompareBody -> torch vs MAX report of that transition
    GET  /v1/models        weights folder, per backend: compiled (ready) and loaded runners
    GET  /v1/styles        clip names and custom style names
    GET  /healthz          {"status": "ok"}
    GET  /metrics          Prometheus text (service.metrics)

Every error is JSON `{"error": KIND, "message": TEXT}`: 4xx for a client's mistake (422 a body that does not
fit the schema, 400 a bad BVH, clip, frame or style, 413 a body over the size limit, 404/405 a wrong
path or method, 429 a full queue), 503 for a backend whose models are not compiled, 500 only for a bug.
"""
from __future__ import annotations

import contextlib
import json
import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from service.engine import Engine, QueueFull, UnknownName
from service.metrics import Metrics
from service.schemas import CompareBody, TransitionBody

DEFAULT_MAX_BODY = 8 * 1024 * 1024  # bytes: a long BVH clip is a few MB
log = logging.getLogger("motion_studio.service")


def create_app(engine: Engine, max_body: int = DEFAULT_MAX_BODY) -> FastAPI:
    """The app around `engine` (its model already loaded, once per process); the engine's queue is drained
    and closed when the app shuts down."""
    metrics = engine.metrics

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        engine.close()

    app = FastAPI(title="Motion Studio", version="1", lifespan=lifespan)

    @app.post("/v1/transitions")
    async def transitions(body: TransitionBody):
        return await engine.run(engine.transition, body)

    @app.post("/v1/compare")
    async def compare(body: CompareBody):
        return await engine.run(engine.compare, body)

    @app.get("/v1/models")
    async def models():
        return engine.models()

    @app.get("/v1/styles")
    async def styles():
        return engine.styles()

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics_text():
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    _add_error_handlers(app, metrics)
    app.add_middleware(_BodyLimitAndMetrics, max_body=max_body, metrics=metrics)
    return app


def _add_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    from inference.backends.base import BackendNotReady
    from inference.rsmt.transition import TransitionError
    from inference.weights import WeightsError
    from motion.errors import MotionFileError

    def error(request: Request, status: int, kind: str, message: str, headers: dict | None = None) -> JSONResponse:
        route = request.scope.get("route")
        metrics.errors.labels(route.path if route is not None else "other", kind).inc()
        return JSONResponse({"error": kind, "message": message}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error(request, 400, "invalid_json", "the body is not valid JSON: " +
                         "; ".join(str(p.get("ctx", {}).get("error", p["msg"])) for p in problems))
        return error(request, 422, "invalid_request", "; ".join(f"{_where(p['loc'])}: {p['msg']}" for p in problems[:5]))

    @app.exception_handler(HTTPException)
    async def http_error(request, exc: HTTPException):
        kinds = {404: "not_found", 405: "method_not_allowed"}
        return error(request, exc.status_code, kinds.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(MotionFileError)
    async def bad_motion(request, exc):
        return error(request, 400, "bad_motion", str(exc))

    @app.exception_handler(TransitionError)
    async def bad_transition(request, exc):
        return error(request, 400, "bad_transition", str(exc))

    @app.exception_handler(UnknownName)
    async def unknown(request, exc):
        return error(request, 400, "unknown_name", str(exc))

    @app.exception_handler(QueueFull)
    async def full(request, exc):
        return error(request, 429, "queue_full", str(exc), {"Retry-After": "1"})

    @app.exception_handler(BackendNotReady)
    async def not_ready(request, exc):
        return error(request, 503, "backend_not_ready", f"{exc} (run `python main.py compile` on the server)")

    @app.exception_handler(WeightsError)
    async def weights_error(request, exc):
        return error(request, 503, "weights", str(exc))

    @app.exception_handler(Exception)
    async def internal(request, exc):
        log.exception("internal error")
        return error(request, 500, "internal", f"{type(exc).__name__}: {exc}")


def _where(loc) -> str:
    """("body", "style", "code", "code", 0) -> "style.code.0": the field's path, the form tag of a clip or
    style (`service.schemas._one_of`) said once."""
    parts = list(loc[1:])
    return ".".join(str(x) for i, x in enumerate(parts)
                    if i == 0 or isinstance(x, int) or x != parts[i - 1]) or "body"


class _BodyLimitAndMetrics:
    """ASGI middleware: reads the body first and refuses one over `max_body` bytes with 413 (by its
    Content-Length, or as a chunked body streams in) before anything parses it; counts every answer in
    the metrics by route and status."""

    def __init__(self, app, max_body: int, metrics: Metrics):
        self.app, self.max_body, self.metrics = app, max_body, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = {"code": 500}

        async def tracked_send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            body = await self._body(receive)
            if body is None:
                self.metrics.errors.labels("other", "too_large").inc()
                return await _send_json(tracked_send, 413, "too_large",
                                        f"the body is over the limit of {self.max_body} bytes")
            replayed = False

            async def replay():
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, tracked_send)
        finally:
            route = scope.get("route")
            endpoint = route.path if route is not None else "other"
            self.metrics.requests.labels(endpoint, str(status["code"])).inc()
            self.metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - t0)

    async def _body(self, receive) -> bytes | None:
        """The whole body, or None when it is over the limit (declared or streamed)."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return None
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _send_json(send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": kind, "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
