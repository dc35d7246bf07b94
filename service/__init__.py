"""The HTTP service (`python main.py serve`): FastAPI app (`service.app`) over the same Qt-free transition
API as the GUI (`service.engine`), with Prometheus metrics (`service.metrics`)."""
