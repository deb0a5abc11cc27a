"""Hook specifications: every extension point NEAT offers.

Plugins implement these with ``@neat_core.hookimpl``; the host calls them through
pluggy, so ``tryfirst``, ``trylast`` and ``wrapper=True`` behave as pluggy documents
(old-style ``hookwrapper=True`` is refused). Each implementation is isolated: one that
raises is reported with a warning naming its plugin, and the rest keep working.

Registration hooks receive a ``register`` callback supplied by the host, so the host
knows which plugin registered each name, checks what it is given, and applies one clash
policy: a name already registered by another plugin is rejected (the first one stays)
unless the later call passes ``override=True``. ``register`` has the signature::

    register(name: str, factory: Callable, *, description: str = "",
             config_class: type | None = None, default: bool = False,
             override: bool = False, **options) -> None

``factory`` must be *lazy*: calling it may import torch, merely registering it must not.
``config_class`` is the plugin's own settings: a frozen attrs class deriving from
:class:`neat_core.api.Settings` (or the base its kind names), every field declared
with :func:`neat_core.api.setting` and a help text. It becomes a section of the one
schema -- validated, settable with ``--set``, in ``config show --explain``, the JSON
Schema and the generated docs -- at the place its kind keeps settings (see
:mod:`neat_core.config.sections`); a plugin reads it with ``config.settings(ItsClass)``.
``default=True`` makes the entry what a config uses when it names none of its kind.
The contracts of what factories build are the types in :mod:`neat_core.api`.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import pluggy

PROJECT_NAME = "neat"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class Register(Protocol):
    """The ``register`` callback of every ``register_*`` hook. What ``factory``
    receives and which ``**options`` a kind takes: ``neat_core.registry.KINDS`` (the
    table in docs/plugins.md is generated from it)."""

    def __call__(self, name: str, factory: Callable[..., Any] | None = None, *,
                 description: str = "", config_class: type | None = None,
                 default: bool = False, override: bool = False, **options: Any) -> None: ...


@hookspec
def register_backends(register: Register) -> None:
    """Register device backends (settings: ``backend.<name>``).

    ``factory()`` takes no arguments and returns a :class:`neat_core.api.Backend`. The
    backend's constructor must not import torch or touch a device; probing happens in
    its methods. Backends with an ``auto_priority`` take part in ``backend.name = auto``.
    """


@hookspec
def register_models(register: Register) -> None:
    """Register models (settings: the ``model`` section, when ``model.name`` is this).

    ``config_class`` is required and derives from :class:`neat_core.api.ModelConfig`
    (which declares ``name`` and ``block_size``, the context length). ``factory(config)``
    receives an instance of it and returns a :class:`neat_core.api.Model`: a
    ``torch.nn.Module`` whose ``forward(idx)`` maps a ``LongTensor[batch, time]`` of byte
    values to next-byte logits ``[batch, time, 256]`` (checked with one tiny forward when
    the model is built). ``default=True`` makes it the model of configs that name none.

    Optional model methods the core uses when a model defines them:

    - ``flops_per_byte() -> dict[str, float]``: analytic FLOPs per byte, with at least
      ``forward`` and ``training`` (forward and backward); further entries, such as a
      frozen helper model's cost, are shown and stored as given. ``neat train`` prints
      them at start; checkpoints (``meta.json``), evaluation results and ``neat bench``
      record them (see :mod:`neat_core.flops`).
    - ``new_cache(batch_size) -> cache`` and ``forward_cached(idx, cache) -> logits``:
      incremental decoding for ``neat generate``; ``forward_cached`` predicts the
      ``t`` bytes of ``idx [batch, t]`` given what the cache holds, appends them and
      keeps at most the model's context (see :mod:`neat_core.sampling`).
    """


@hookspec
def register_trainers(register: Register) -> None:
    """Register trainers, selected by ``training.trainer`` (settings:
    ``training.<name>``).

    ``factory(config, backend)`` receives the resolved :class:`neat_core.api.NeatConfig`
    and the prepared backend and returns a :class:`neat_core.api.Trainer`, whose
    ``run(resume=None)`` trains and returns a :class:`neat_core.api.TrainResult`.
    """


@hookspec
def register_evaluators(register: Register) -> None:
    """Register evaluators, run by ``neat eval`` (``eval.evaluators``) and ``neat
    analyze`` (``eval.analyzers``); settings: ``evaluators.<name>``.

    ``factory(model, config, backend)`` returns a :class:`neat_core.api.Evaluator`, whose
    ``evaluate(documents) -> dict`` computes JSON-ready results for a list of ``(name,
    bytes)`` documents. ``register`` also takes ``analysis=True`` for evaluators of
    ``neat analyze``; ``default=True`` puts the evaluator in the default list of its
    command.
    """


@hookspec
def register_reports(register: Register) -> None:
    """Register report writers, chosen with ``--report`` / ``eval.reports`` (settings:
    ``reports.<name>``).

    ``factory(config)`` receives the resolved config (``None`` when results are rendered
    without one) and returns a :class:`neat_core.api.Report`, whose ``write(results,
    out_dir) -> Path | None`` renders the results dict of an evaluation or analysis and
    returns the file it wrote (``None`` when it wrote to the terminal).
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add Click commands or groups to the ``neat`` CLI.

    ``cli`` offers ``add_command(command, name=None, *, override=False)`` and the
    ``command(...)``/``group(...)`` decorators of a ``click.Group``; the host records
    which plugin added which command (``neat plugins`` lists them). Command modules
    should import torch inside the command function, never at import time, so
    ``neat --help`` stays fast.
    """


@hookspec
def register_training_callbacks(register: Register) -> None:
    """Register training callbacks: metric loggers, notifications, ... (settings:
    ``callbacks.<name>``, which always has ``enabled``).

    ``config_class``, when given, derives from :class:`neat_core.api.CallbackConfig`;
    a callback that should run only when asked redeclares ``enabled`` with default
    False. ``factory(config, run_dir)`` receives the resolved config and the run's output
    directory (a ``Path``) when a run with the callback enabled starts (before its data
    is prepared: write nothing until ``on_train_start``), and returns a
    :class:`neat_core.api.Callback`, or ``None`` to sit this run out. A factory that
    raises a :class:`neat_core.api.NeatError` (a missing optional package: name the
    extra that installs it) stops the run with that error. On the rank that
    writes logs (rank 0) the trainer calls whichever of these methods the object defines,
    with JSON-ready dicts:

    - ``on_train_start(info)``: ``step`` (0, or the resumed step), ``max_steps``,
      ``world_size``, ``device``, ``parameters``, ``flops_per_byte`` (the model's
      ``flops_per_byte()``, or None), ``output_dir``
    - ``on_log(record)``: each ``"train"`` record of ``metrics.jsonl``
    - ``on_eval(record)``: each ``"eval"`` record of ``metrics.jsonl``
    - ``on_checkpoint(path, record)``: after a checkpoint is complete on disk
    - ``on_train_end(metrics)``: the final metrics, also after an interrupt

    A callback that raises is disabled with one warning naming its plugin (an error
    with ``NEAT_PLUGINS_STRICT=1``); training goes on.
    """


@hookspec
def register_data_sources(register: Register) -> None:
    """Register data sources: schemes (``synthetic:``) and kinds of file (JSON lines)
    that turn into documents, streamed (settings: ``data.<name>``).

    ``factory(config)`` receives the resolved config and returns a
    :class:`neat_core.api.DataSource`: ``units(target, seed)`` lists the
    :class:`~neat_core.api.DataUnit` objects (files, generators) of a spec ``NAME:TARGET``
    or of a path the source ``accepts(path)``; each unit's ``read(tally)`` yields
    :class:`~neat_core.api.SourceDocument` objects (a name and the bytes in chunks) and
    reports progress and skipped records to the :class:`~neat_core.api.Tally`. The core
    keeps everything else: listing paths, the byte cache, splits, mixing, sampling.
    ``default=True`` makes the source read files that no other source accepts;
    ``default_corpus="NAME:TARGET"`` offers a spec as ``data.train`` of configs that set
    none (the first source offering one wins). The source's settings and its units'
    identities make the cache key, so changing either rebuilds the cache.
    """


@hookspec
def register_config_sections(register: Register) -> None:
    """Register config sections that belong to no single object: settings several parts
    of a plugin share (the blt plugin's ``patching``). Settings: ``<name>`` at the top
    level.

    ``register(name, config_class=..., description=...)``; no factory. The plugin reads
    the section with ``config.settings(ItsClass)``.
    """


@hookspec
def register_interactive_commands(register: Register) -> None:
    """Register commands of the interactive analysis (``neat analyze -i``), typed as
    ``:name ARGUMENT``.

    ``factory(config, argument)`` receives the session's resolved config and the rest of
    the line, and returns the settings to change as a ``{dotted.path: value}`` mapping
    (empty to change nothing; a string value is parsed by the field's type, as ``--set``
    parses it); the loop validates them like ``--set``, refuses a value its settings
    class calls inactive (:meth:`neat_core.api.Settings.inactive`) and shows the
    input again. Raise a :class:`neat_core.api.UsageError` for a bad argument. The
    ``description`` is shown by ``:help``. Optional keywords of ``register``:

    - ``status=callable(config) -> str``: a part of the status line shown under the
      prompt (and by ``:show``), e.g. the blt plugin's patching mode and threshold;
    - ``choices=(...)``: words Tab completes after the command;
    - ``reads_results=True``: the factory is called as ``factory(config, argument,
      results)``, with the analysis results of the last input (the dict of
      ``neat_core.api.analysis_results``, or None before any input).
    """


@hookspec
def register_interactive_frontends(register: Register) -> None:
    """Register front-ends of the interactive analysis: what ``neat analyze -i`` runs.

    ``factory(session, first_text)`` receives the opened checkpoint (a
    :class:`neat_core.api.Session`: model, resolved config, backend) and the text given
    with ``--text`` (or None), and runs the session until the user leaves; it reads the
    analysis through :func:`neat_core.api.analysis_results` and the interactive
    commands plugins register (``register_interactive_commands``). ``default=True``
    makes it the one ``neat analyze -i`` runs (the built-in ``tui`` plugin's
    ``terminal``); raise a :class:`neat_core.api.NeatError` to stop with a message.
    """
