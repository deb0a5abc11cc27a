"""Built-in evaluators: bits per byte (with compressor baselines) and entropy statistics."""
