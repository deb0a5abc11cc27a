"""Metric loggers (training callbacks), each off until enabled: TensorBoard, CSV, W&B and
MLflow."""
