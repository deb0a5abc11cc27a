"""Built-in evaluators: bits per byte (with compressor baselines), entropy, patches."""
