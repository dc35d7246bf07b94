"""Inference: backends (PyTorch reference, MAX) behind one interface, weights, compare and bench."""
