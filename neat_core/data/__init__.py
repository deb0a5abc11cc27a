"""Byte corpora: sources read through the registered data-source plugins (files,
directories, globs, ``NAME:TARGET``), ingested once into a source cache, split into
train and eval, mixed by percentage, cached as memory-mapped uint8 files and sampled in
seeded, resumable windows. numpy only: no torch here.

    corpora = build_corpora(config, block_size=256)
    sampler = BatchSampler(corpora.train, block_size=256, batch_size=32, seed=1)
    batch = sampler.next_batch()  # uint8 array (32, 257)
"""

from .cache import cache_files, cache_state
from .corpus import Corpora, Corpus, Document, Source, build_corpora, prepare_plans
from .documents import rng_for
from .identity import file_identity
from .paths import list_paths, walk
from .plan import plan_corpora
from .reading import iter_documents, read_documents
from .sampler import BatchSampler, eval_batches

__all__ = ["BatchSampler", "Corpora", "Corpus", "Document", "Source", "build_corpora",
           "cache_files", "cache_state", "eval_batches", "file_identity", "iter_documents",
           "list_paths", "plan_corpora", "prepare_plans", "read_documents", "rng_for", "walk"]
