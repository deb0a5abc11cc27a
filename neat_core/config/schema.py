"""The parameter schema: one attrs class per config section.

This is the single source of truth for every parameter. The CLI flags, JSON configs,
the JSON Schema in configs/, docs/parameters.md and the plugins all read it. A model
plugin contributes the ``model`` section by registering a subclass of
:class:`ModelConfig`.
"""

from __future__ import annotations

from typing import Literal

import attrs

from ..errors import ConfigError
from .fields import section, setting

SCHEMA_VERSION = 1
DEFAULT_MODEL = "blt-entropy"

frozen = attrs.frozen(kw_only=True)


def require(condition: bool, message: str, hint: str | None = None) -> None:
    """Raise a :class:`ConfigError` for a cross-field rule that does not hold."""
    if not condition:
        raise ConfigError(message, hint=hint)


@frozen
class RunConfig:
    output_dir: str = setting("runs/quickstart", flag="--output-dir",
                              help="Directory for checkpoints, metrics.jsonl and the "
                                   "resolved config of a run.")
    seed: int = setting(1337, min=0, flag="--seed",
                        help="Seed for weight initialisation, data sampling and dropout.")
    progress: bool = setting(True, flag="--progress",
                             help="Show a progress bar. It is hidden anyway when output "
                                  "is not a terminal or with -q.")


@frozen
class BackendConfig:
    name: str = setting("auto", flag="--backend",
                        help="Device backend: 'auto' picks CUDA, then MPS, then CPU; or "
                             "any registered backend (see `neat backends`).")
    device_index: int = setting(0, min=0, help="Index of the device to use (CUDA).")
    mixed_precision: Literal["auto", "off", "bf16", "fp16"] = setting(
        "auto", help="Mixed precision: 'auto' lets the backend choose, 'off' trains in "
                     "float32, 'bf16'/'fp16' request that autocast dtype.",
        notes="CUDA: auto uses bf16 where supported, else fp16 with a grad scaler. "
              "CPU: auto means off; bf16 autocast on request, fp16 is refused. MPS: "
              "turned off with a notice.")
    memory_reserve_pct: float | None = setting(
        None, min=0, max=100, max_exclusive=True,
        help="Percent of device memory to leave free for other processes.",
        notes="CUDA: sets the per-process memory fraction to 1 - pct/100. CPU and MPS: "
              "no effect (a notice says so once).")
    threads: int | None = setting(None, min=1,
                                  help="CPU threads for torch (default: all cores).",
                                  notes="Unset, the CUDA and MPS backends keep torch's "
                                        "own default.")
    mps_fallback: bool = setting(True, help="Let operations missing on MPS run on the "
                                            "CPU (PYTORCH_ENABLE_MPS_FALLBACK=1).")


@frozen
class ModelConfig:
    """Base of every model's config section; ``name`` selects the model plugin."""

    name: str = setting(DEFAULT_MODEL, flag="--model",
                        help="Registered model (see `neat plugins`); selects which "
                             "fields the model section has.")


@frozen
class SyntheticConfig:
    documents: int = setting(1000, min=1, help="Documents generated per synthetic source.")
    min_length: int = setting(64, min=1, help="Shortest synthetic document, in bytes.")
    max_length: int = setting(2048, min=1, max=1 << 24,
                              help="Longest synthetic document, in bytes (lengths are "
                                   "drawn uniformly between min_length and max_length).")

    def __attrs_post_init__(self) -> None:
        require(self.min_length <= self.max_length,
                f"data.synthetic.min_length ({self.min_length}) is larger than "
                f"data.synthetic.max_length ({self.max_length})",
                hint="make min_length <= max_length")


@frozen
class DataConfig:
    train: list[str] = setting(
        factory=lambda: ["builtin:python-stdlib"],
        help="Training sources: files, directories (recursive, sorted, hidden names "
             "skipped), globs ('**' allowed), 'synthetic:<pattern>' (alternating, "
             "repeating, random, mixed) or 'builtin:python-stdlib' (the .py files of "
             "this Python's standard library). Files are read as raw bytes; relative "
             "paths start in the current directory.")
    eval: list[str] = setting(factory=list,
                              help="Evaluation sources, as for data.train; empty: hold "
                                   "out data.eval_fraction of the training documents.")
    eval_fraction: float = setting(
        0.05, min=0, max=1, max_exclusive=True,
        help="Share of each training source's documents held out for evaluation when "
             "data.eval is empty: whole documents, chosen by run.seed.",
        notes="A source with two or more documents gives at least one and keeps at least "
              "one; a single-document source gives none. An empty evaluation split is an "
              "error.")
    mix: list[float] = setting(
        factory=list,
        help="Percent of sampled training windows drawn from each data.train source, in "
             "order, e.g. [34, 33, 33]; empty: in proportion to each source's size.",
        notes="One positive number per source; they are normalised to sum to 100, so "
              "[1, 1] means 50/50.")
    separator: Literal["none", "newline", "nul"] = setting(
        "newline", help="Byte inserted between joined documents: none, newline (0x0A) or "
                        "nul (0x00). newline suits text (a document then starts on a new "
                        "line); nul marks boundaries unmistakably in binary data.")
    cache_dir: str = setting("~/.cache/neat",
                             help="Where the memory-mapped byte cache is written (one "
                                  "file per split and set of sources, rebuilt when a "
                                  "source changes).")
    max_bytes: int | None = setting(
        None, min=1, help="Use at most this many training bytes, split between the "
                          "sources by their shares; each keeps its documents in order.")
    synthetic: SyntheticConfig = section(SyntheticConfig, "Synthetic data generators.")


@frozen
class TrainingConfig:
    trainer: str = setting("standard", help="Registered trainer (see `neat plugins`).")
    max_steps: int = setting(3000, min=1, flag="--max-steps",
                             help="Optimizer steps to train for.")
    max_minutes: float | None = setting(
        None, min=0, min_exclusive=True, flag="--max-minutes",
        help="Also stop after this many minutes of training (then save and exit "
             "normally); null: no time limit.",
        notes="With a time limit the learning-rate decay follows whichever of steps "
              "and time is further along, so such runs are not bit-reproducible.")
    batch_size: int = setting(32, min=1, flag="--batch-size",
                              help="Sequences per micro-batch.")
    gradient_accumulation_steps: int = setting(1, min=1, help="Micro-batches per "
                                                              "optimizer step.")
    learning_rate: float = setting(4e-3, min=0, min_exclusive=True,
                                   help="Peak learning rate (AdamW).")
    min_learning_rate: float | None = setting(
        None, min=0, help="Learning rate at the end of the decay; default: "
                          "learning_rate / 10.")
    lr_schedule: Literal["cosine", "linear", "constant"] = setting(
        "cosine", help="Decay after warmup.")
    warmup_steps: int = setting(50, min=0, help="Steps of linear warmup.")
    weight_decay: float = setting(0.1, min=0, help="AdamW weight decay.")
    adam_beta1: float = setting(0.9, min=0, max=1, max_exclusive=True, help="AdamW beta1.")
    adam_beta2: float = setting(0.99, min=0, max=1, max_exclusive=True, help="AdamW beta2.")
    max_grad_norm: float | None = setting(1.0, min=0, min_exclusive=True,
                                          help="Clip gradients to this norm; null: no "
                                               "clipping.")
    log_steps: int = setting(50, min=1, help="Steps between metric records.")
    eval_steps: int = setting(250, min=1, help="Steps between evaluations.")
    eval_batches: int = setting(16, min=1, help="Batches per evaluation.")
    save_steps: int = setting(500, min=1, help="Steps between checkpoints.")
    keep_last: int = setting(2, min=1, help="Checkpoints kept besides the best one.")
    compile: bool = setting(False, help="Compile the model with torch.compile.",
                           notes="Needs a C++ compiler on the CPU. Steps get faster, but "
                                 "compiling takes about a minute, which short runs do "
                                 "not win back.")

    def __attrs_post_init__(self) -> None:
        if self.min_learning_rate is not None:
            require(self.min_learning_rate <= self.learning_rate,
                    f"training.min_learning_rate ({self.min_learning_rate:g}) is larger "
                    f"than training.learning_rate ({self.learning_rate:g})",
                    hint="lower min_learning_rate or leave it unset")


@frozen
class PatchingConfig:
    mode: Literal["global", "relative", "combined", "static", "space"] = setting(
        "global", flag="--mode",
        help="global: new patch after H(t) > threshold; relative: after "
             "H(t) - H(t-1) > relative_threshold; combined: both; static: fixed "
             "patch_size; space: after whitespace/punctuation.")
    threshold: float = setting(2.0, min=0, max=8, flag="--threshold",
                               help="Global entropy threshold, in bits (0-8).")
    relative_threshold: float = setting(1.0, min=0, max=8,
                                        help="Relative entropy threshold, in bits.")
    patch_size: int = setting(4, min=1, help="Patch size of the static mode, in bytes.")
    min_patch_size: int | None = setting(None, min=1, help="Merge patches shorter than "
                                                           "this into their neighbour.")
    max_patch_size: int | None = setting(None, min=1, help="Split patches longer than "
                                                           "this.")
    target_patch_size: float | None = setting(
        None, min=1, flag="--target-patch-size",
        help="If set, calibrate the threshold so patches average this many bytes.")

    def __attrs_post_init__(self) -> None:
        if self.min_patch_size is not None and self.max_patch_size is not None:
            require(self.min_patch_size <= self.max_patch_size,
                    f"patching.min_patch_size ({self.min_patch_size}) is larger than "
                    f"patching.max_patch_size ({self.max_patch_size})")


@frozen
class EvalConfig:
    batch_size: int = setting(16, min=1, help="Windows scored per forward pass.")
    stride: int | None = setting(None, min=1,
                                 help="Bytes a scoring window advances; default: half "
                                      "the model's block_size. Every byte is scored with "
                                      "at least block_size - stride bytes of context.")
    max_bytes: int | None = setting(None, min=1, help="Evaluate at most this many bytes "
                                                      "per document.")
    reports: list[str] = setting(factory=lambda: ["text"], flag="--report",
                                 help="Report writers to run (see `neat plugins`).")
    compressors: bool = setting(True, help="Also report gzip, bz2 and xz bits per byte.")
    evaluators: list[str] = setting(factory=lambda: ["bits-per-byte"],
                                    help="Evaluators `neat eval` runs (see `neat plugins`).")
    analyzers: list[str] = setting(factory=lambda: ["entropy", "patches"],
                                   help="Evaluators `neat analyze` runs (see `neat plugins`).")
    preview_bytes: int = setting(2000, min=1, help="Bytes at the start of the input shown "
                                                   "shaded by entropy in analysis reports.")


@frozen
class NeatConfig:
    schema_version: int = setting(SCHEMA_VERSION, min=SCHEMA_VERSION, max=SCHEMA_VERSION,
                                  help="Version of this schema; written in every file.")
    run: RunConfig = section(RunConfig, "Output directory, seed and logging.")
    backend: BackendConfig = section(BackendConfig, "Device selection and settings.")
    model: ModelConfig = section(ModelConfig, "The model; its fields come from the "
                                              "model plugin named by model.name.")
    data: DataConfig = section(DataConfig, "Training and evaluation bytes.")
    training: TrainingConfig = section(TrainingConfig, "Optimisation and checkpoints.")
    patching: PatchingConfig = section(PatchingConfig, "Entropy patching.")
    eval: EvalConfig = section(EvalConfig, "Evaluation and analysis.")
