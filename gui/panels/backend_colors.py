"""One colour per backend in every plot: the Compare panel's latency curves, the Benchmark panel's bars."""
BACKEND_COLORS = {"torch": (200, 200, 200), "max": (250, 160, 40), "max-mojo": (230, 90, 90),
                  "onnx": (90, 200, 255)}
