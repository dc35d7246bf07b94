"""Prometheus metrics of one service process (`GET /metrics`), in a registry of their own."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("motion_studio_requests", "HTTP requests answered, by endpoint and status",
                                ["endpoint", "status"], registry=r)
        self.errors = Counter("motion_studio_errors", "error answers, by endpoint and error kind",
                              ["endpoint", "kind"], registry=r)
        self.request_seconds = Histogram("motion_studio_request_seconds", "time to answer a request, queue included",
                                         ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.inference_seconds = Histogram("motion_studio_inference_seconds",
                                           "time to compute one transition (or comparison), by backend",
                                           ["backend", "endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.models_loaded = Gauge("motion_studio_models_loaded", "network runners loaded in this process, by backend",
                                   ["backend"], registry=r)
        self.queue_depth = Gauge("motion_studio_queue_depth", "requests computing or waiting for the model",
                                 registry=r)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
