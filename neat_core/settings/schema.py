"""The parameter schema: the core's config sections as attrs classes.

This is the single source of truth for every parameter the core reads. Plugins add
their own sections (``register(..., config_class=...)``): the model plugin named by
``model.name`` gives the ``model`` section its fields, and every backend, trainer,
evaluator, report, training callback, data source and config section of a plugin gets a
section of its own (see :mod:`neat_core.config.sections` for where each kind lives).
The core names no plugin: defaults that need one come from the registry
(``setting(default_from=...)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Literal, Mapping, TypeVar

import attrs

from ..errors import ConfigError
from .fields import DEFAULT_NAME, DROP, Former, section, setting

SCHEMA_VERSION = 2
# Top-level keys of a config file that hold no settings: the files it builds on, and the
# plugins whose sections it holds (see neat_core.config.owners). No plugin section may
# take these names.
EXTENDS_KEY = "extends"
PLUGINS_KEY = "plugins"

if TYPE_CHECKING:  # type checkers know attrs.frozen; at run time every field is keyword-only
    from attrs import frozen
else:
    frozen = attrs.frozen(kw_only=True)
S = TypeVar("S", bound="Settings")


def require(condition: bool, message: str, hint: str | None = None) -> None:
    """Raise a :class:`ConfigError` for a cross-field rule that does not hold."""
    if not condition:
        raise ConfigError(message, hint=hint)


@frozen
class Settings:
    """Base of every plugin's settings class: frozen, keyword-only, each field declared
    with :func:`neat_core.api.setting` (help text required)."""

    def inactive(self, name: str) -> str | None:
        """Why field ``name`` has no effect with this section's other values (e.g. a
        threshold that the chosen mode does not use), else None. Commands refuse such a
        value when the user types it (a flag, ``--set``, ``:set``) instead of ignoring it;
        a class whose fields all always apply keeps this default."""
        return None


class PluginSettings(Mapping[str, Any]):
    """The settings sections of one kind of plugin, by registered name (read-only)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        self._items = dict(items or {})

    def __getitem__(self, name: str) -> Any:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __repr__(self) -> str:
        return f"PluginSettings({self._items!r})"


def plugin_sections(kind: str, help: str, inline: bool = False) -> Any:
    """The settings sections of the plugins of ``kind``, one per registered name.

    ``inline``: the sections sit beside the fields of the section holding this field
    (``backend.cuda`` next to ``backend.name``); otherwise this field is a section of
    its own whose keys are the plugin names (``evaluators.bits-per-byte``).
    """
    return attrs.field(factory=PluginSettings,
                       metadata={"help": help, "plugins": kind, "inline": inline})


def _old_tool_model(value: Any) -> Any:
    return DEFAULT_NAME if str(value).lower() in {"blt", "byte_lm", "bytelm", "entropy"} \
        else value


def _mixed_precision(value: Any) -> Any:
    return "auto" if value else "off"


def _precision(value: Any) -> Any:
    table = {"fp32": "off", "float32": "off", "32": "off", "fp16": "fp16", "float16": "fp16",
             "16": "fp16", "bf16": "bf16", "bfloat16": "bf16", "mixed": "auto", "auto": "auto"}
    return table.get(str(value).lower(), value)


def _listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


@frozen
class RunConfig:
    output_dir: str = setting("runs/quickstart", flag="--output-dir",
                              help="Directory for checkpoints, metrics.jsonl and the "
                                   "resolved config of a run.",
                              formerly=("output_dir",
                                        Former("training_dir", note="NEAT writes checkpoints "
                                                                    "into run.output_dir")))
    seed: int = setting(1337, min=0, max=2**64 - 1, flag="--seed",
                        help="Seed for weight initialisation, data sampling and dropout.")
    progress: bool = setting(True, flag="--progress",
                             help="Show a progress bar. It is hidden anyway when output "
                                  "is not a terminal or with -q.")


@frozen
class BackendConfig:
    name: str = setting("auto", flag="--backend",
                        help="Device backend: 'auto' picks the available backend with the "
                             "highest priority (see `neat backends`), or any registered "
                             "backend by name.",
                        formerly=(Former("force_cpu",
                                         lambda value: "cpu" if value is True else DROP,
                                         "true selects the cpu backend; false is dropped, "
                                         "as backend.name = auto (the default) already "
                                         "falls back to the CPU"),))
    mixed_precision: Literal["auto", "off", "bf16", "fp16"] = setting(
        "auto", help="Mixed precision: 'auto' lets the backend choose, 'off' trains in "
                     "float32, 'bf16'/'fp16' request that autocast dtype.",
        notes="What each backend supports and chooses for 'auto' is listed by `neat "
              "backends`.",
        formerly=(Former("mixed_precision", _mixed_precision,
                         "true lets the backend choose a safe dtype, false trains in float32"),
                  Former("precision", _precision, "precision names map to autocast dtypes")))
    plugins: PluginSettings = plugin_sections(
        "backends", "Each backend's own settings, e.g. backend.cpu.threads.", inline=True)


@frozen
class ModelConfig(Settings):
    """Base of every model's config section; ``name`` selects the model plugin.

    A model plugin's class derives from it and may redeclare ``block_size`` with its own
    default.
    """

    name: str = setting("", flag="--model", default_from="models",
                        help="Registered model (see `neat plugins`); selects which "
                             "fields the model section has.",
                        formerly=(Former("model_type", _old_tool_model,
                                         "the older tool's 'blt' model is NEAT's default "
                                         "model"),))
    block_size: int = setting(256, min=2, help="Context length in bytes: the longest input "
                                               "the model reads at once.",
                              formerly=(Former("block_size",
                                               note="the model's context length in bytes"),))


@frozen
class CallbackConfig(Settings):
    """Base of every training callback's settings: ``enabled`` switches it on or off.

    A callback plugin that should run only when asked redeclares ``enabled`` with
    default False (opt-in).
    """

    enabled: bool = setting(True, help="Run this callback during training.")


@frozen
class DataConfig:
    train: list[str] = setting(
        factory=list, default_from="corpus",
        formerly=(Former("train_data_dir", _listed,
                         "a list of sources: files, directories or globs"),),
        help="Training sources: files, directories (recursive, sorted, hidden names "
             "skipped), globs ('**' allowed), or NAME:TARGET for a registered data source "
             "(e.g. 'synthetic:random', 'builtin:python-stdlib'). Each file is read by "
             "the data source that accepts it (JSON lines, compressed files, Parquet...; "
             "see docs/data.md); relative paths start in the current directory.")
    eval: list[str] = setting(factory=list,
                              help="Evaluation sources, as for data.train; empty: hold "
                                   "out data.eval_fraction of the training documents.",
                              formerly=(Former("eval_data_dir", _listed,
                                               "a list of sources: files, directories or "
                                               "globs"),))
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
                                  "source changes).",
                             formerly=("cache_dir",))
    max_bytes: int | None = setting(
        None, min=1, help="Use at most this many training bytes, split between the "
                          "sources by their shares; each keeps its documents in order.")
    max_record_bytes: int = setting(
        16 << 20, min=1,
        help="Longest record a source reads (a JSON line, a Parquet or Arrow value); a "
             "longer one is a bad record: skipped and counted.",
        notes="Bounds the memory of reading one record, which takes a few times its "
              "size while it is parsed.")
    plugins: PluginSettings = plugin_sections(
        "data_sources", "Each data source's own settings, e.g. data.jsonl.field.",
        inline=True)


@frozen
class TrainingConfig:
    trainer: str = setting("", default_from="trainers",
                           help="Registered trainer (see `neat plugins`).")
    max_steps: int = setting(3000, min=1, flag="--max-steps",
                             help="Optimizer steps to train for.", formerly=("max_steps",))
    max_minutes: float | None = setting(
        None, min=0, min_exclusive=True, flag="--max-minutes",
        help="Also stop after this many minutes of training (then save and exit "
             "normally); null: no time limit.",
        notes="With a time limit the learning-rate decay follows whichever of steps "
              "and time is further along, so such runs are not bit-reproducible.")
    batch_size: int = setting(32, min=1, flag="--batch-size",
                              help="Sequences per micro-batch.", formerly=("batch_size",))
    gradient_accumulation_steps: int = setting(1, min=1,
                                               help="Micro-batches per optimizer step.",
                                               formerly=("gradient_accumulation_steps",))
    learning_rate: float = setting(4e-3, min=0, min_exclusive=True,
                                   help="Peak learning rate (AdamW).",
                                   formerly=("learning_rate",))
    min_learning_rate: float | None = setting(
        None, min=0, help="Learning rate at the end of the decay; default: "
                          "learning_rate / 10.", formerly=("min_learning_rate",))
    lr_schedule: Literal["cosine", "linear", "constant"] = setting(
        "cosine", help="Decay after warmup.", formerly=("lr_schedule",))
    warmup_steps: int = setting(50, min=0, help="Steps of linear warmup.",
                                formerly=("warmup_steps",))
    weight_decay: float = setting(0.1, min=0, help="AdamW weight decay.",
                                  formerly=("weight_decay",))
    adam_beta1: float = setting(0.9, min=0, max=1, max_exclusive=True, help="AdamW beta1.")
    adam_beta2: float = setting(0.99, min=0, max=1, max_exclusive=True, help="AdamW beta2.")
    max_grad_norm: float | None = setting(
        1.0, min=0, min_exclusive=True, help="Clip gradients to this norm; null: no "
                                             "clipping.",
        formerly=(Former("gradient_clipping", note="the gradient-norm clip value"),))
    log_steps: int = setting(50, min=1, help="Steps between metric records.",
                             formerly=("log_steps",))
    eval_steps: int = setting(250, min=1, help="Steps between evaluations.",
                              formerly=("eval_steps",))
    eval_batches: int = setting(16, min=1, help="Batches per evaluation.")
    save_steps: int = setting(500, min=1, help="Steps between checkpoints.",
                              formerly=("save_steps",))
    keep_last: int = setting(2, min=1, help="Checkpoints kept besides the best one.")
    init_from: str | None = setting(
        None, flag="--init-from",
        help="Start from the weights of this checkpoint or run directory (fine-tuning, e.g. "
             "of an imported model): its model settings, a fresh optimizer, step 0.",
        notes="The model section comes from that checkpoint; model.* settings given "
              "explicitly (e.g. model.threshold, model.dropout) change it where the "
              "weights still fit. Data and training settings are this run's. --resume of "
              "the new run continues from its own checkpoints.")
    compile: bool | None = setting(
        None, help="Compile the model with torch.compile; null: where the backend says "
                   "it pays back over training.max_steps.",
        notes="Unset, CUDA compiles runs of 1000 steps or more; the CPU does not "
              "(measured on 2 cores: 1-2 minutes of compiling for steps about 9% "
              "faster). Needs a C++ compiler on the CPU.")
    plugins: PluginSettings = plugin_sections(
        "trainers", "Each trainer's own settings, e.g. training.<trainer>.*.", inline=True)

    def __attrs_post_init__(self) -> None:
        if self.min_learning_rate is not None:
            require(self.min_learning_rate <= self.learning_rate,
                    f"training.min_learning_rate ({self.min_learning_rate:g}) is larger "
                    f"than training.learning_rate ({self.learning_rate:g})",
                    hint="lower min_learning_rate or leave it unset")


@frozen
class EvalConfig:
    batch_size: int = setting(16, min=1, help="Windows scored per forward pass.")
    stride: int | None = setting(None, min=1,
                                 help="Bytes a scoring window advances; default: half "
                                      "the model's block_size. Every byte is scored with "
                                      "at least block_size - stride bytes of context.")
    max_bytes: int | None = setting(None, min=1, help="Evaluate at most this many bytes "
                                                      "per document.")
    reports: list[str] = setting(factory=list, flag="--report", default_from="reports",
                                 help="Report writers to run (see `neat plugins`).")
    evaluators: list[str] = setting(factory=list, default_from="evaluators",
                                    help="Evaluators `neat eval` runs (see `neat plugins`).")
    analyzers: list[str] = setting(factory=list, default_from="analyzers",
                                   help="Evaluators `neat analyze` runs (see `neat plugins`).")
    preview_bytes: int = setting(2000, min=1, help="Bytes at the start of the input shown "
                                                   "shaded by entropy in analysis reports.")


@frozen
class NeatConfig:
    schema_version: int = setting(SCHEMA_VERSION, min=SCHEMA_VERSION, max=SCHEMA_VERSION,
                                  help="Version of this schema; written in every file. Files of "
                                       "version 1 are migrated automatically.")
    run: RunConfig = section(RunConfig, "Output directory, seed and logging.")
    backend: BackendConfig = section(BackendConfig, "Device selection and settings.")
    model: ModelConfig = section(ModelConfig, "The model; its fields come from the "
                                              "model plugin named by model.name.")
    data: DataConfig = section(DataConfig, "Training and evaluation bytes.")
    training: TrainingConfig = section(TrainingConfig, "Optimisation and checkpoints.")
    eval: EvalConfig = section(EvalConfig, "Evaluation and analysis.")
    evaluators: PluginSettings = plugin_sections("evaluators", "Each evaluator's own settings.")
    reports: PluginSettings = plugin_sections("reports", "Each report writer's own settings.")
    callbacks: PluginSettings = plugin_sections(
        "callbacks", "Training callbacks (metric loggers, notifications): each has `enabled` "
                     "and its own settings.")
    plugins: PluginSettings = plugin_sections(
        "sections", "Config sections of plugins, e.g. the blt plugin's patching.", inline=True)

    def settings(self, cls: type[S]) -> S:
        """The settings object of class ``cls`` in this config (a plugin's own section,
        or the model section); KeyError when no section has that class."""
        for found in _settings_objects(self):
            if type(found) is cls:
                return found
        raise KeyError(f"no config section has settings class {cls.__qualname__}")


def _settings_objects(obj: Any) -> Iterator[Any]:
    if isinstance(obj, PluginSettings):
        for value in obj.values():
            yield from _settings_objects(value)
    elif attrs.has(type(obj)):
        yield obj
        for attribute in attrs.fields(type(obj)):
            value = getattr(obj, attribute.name)
            if attrs.has(type(value)) or isinstance(value, PluginSettings):
                yield from _settings_objects(value)
