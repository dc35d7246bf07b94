"""PyTorch reference networks; every one loads its weights from an inference.weights.WeightSet."""
