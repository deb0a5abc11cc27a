"""The built-in data sources: files (raw or compressed), JSON lines, Parquet/Arrow and
Hugging Face saved datasets, synthetic generators and the built-in corpus."""
