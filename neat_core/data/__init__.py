"""Byte corpora: files, directories, globs, synthetic data and the built-in corpus,
split into train and eval, mixed by percentage, cached as memory-mapped uint8 files
and sampled in seeded, resumable windows. numpy only: no torch here.

    corpora = build_corpora(config.data, seed=config.run.seed, block_size=256)
    sampler = BatchSampler(corpora.train, block_size=256, batch_size=32, seed=1)
    batch = sampler.next_batch()  # uint8 array (32, 257)
"""

from .cache import cache_files, cache_state
from .corpus import Corpora, Corpus, Document, Source, build_corpora
from .plan import plan_corpora
from .sampler import BatchSampler, eval_batches
from .sources import python_stdlib_files, read_documents
from .synthetic import PATTERNS

__all__ = ["BatchSampler", "Corpora", "Corpus", "Document", "PATTERNS", "Source",
           "build_corpora", "cache_files", "cache_state", "eval_batches", "plan_corpora",
           "python_stdlib_files", "read_documents"]
