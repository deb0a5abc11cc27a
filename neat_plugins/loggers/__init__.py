"""Metric loggers (training callbacks), each off until enabled: TensorBoard and CSV."""
