"""`serve [--host 127.0.0.1] [--port 8000] [--weights DIR] [--library DIR] [--queue N] [--max-body BYTES]
[--preload B...]`: the HTTP service (`service.app`) under uvicorn, until Ctrl-C or SIGTERM; either one
stops taking connections and finishes the requests in flight before the process exits."""
from __future__ import annotations

import socket

from cli import UserError
from service.app import DEFAULT_MAX_BODY
from inference.backends.base import APP_BACKENDS


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--weights", default=None, metavar="DIR", help="RSMT weights folder (default assets/rsmt_lite)")
    parser.add_argument("--library", default=None, metavar="DIR",
                        help="folder of motion files whose stems clients may name as clips (besides the embedded clips)")
    parser.add_argument("--queue", type=int, default=32, metavar="N",
                        help="requests computing or waiting at once; one more is answered 429 (default 32)")
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                        help=f"largest request body; a larger one is answered 413 (default {DEFAULT_MAX_BODY})")
    parser.add_argument("--preload", nargs="*", choices=APP_BACKENDS, default=["torch"], metavar="BACKEND",
                        help="backends whose networks load at startup (default torch; others load on first use)")
    parser.add_argument("--grace", type=float, default=120.0, metavar="S",
                        help="on SIGTERM, seconds to wait for requests in flight (default 120)")


def run(args) -> int:
    import uvicorn

    from inference.backends.base import BackendNotReady
    from inference.weights import WeightsError
    from service.app import create_app
    from service.engine import Engine

    if args.queue < 1 or args.max_body < 1:
        raise UserError("--queue and --max-body must be at least 1")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be 0..65535, got {args.port}")
    try:  # a port in use is the user's to fix: say so instead of uvicorn's log line and exit 1
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as e:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    try:
        engine = Engine(args.weights, args.queue, args.library, preload=tuple(args.preload))
    except WeightsError as e:
        raise UserError(str(e)) from None
    except BackendNotReady as e:
        raise UserError(f"--preload: {e} (run `python main.py compile` first)") from None
    app = create_app(engine, args.max_body)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=args.grace)
    return 0
