"""Hook specifications: every extension point NEAT offers.

Plugins implement these with ``@neat_core.hookimpl``. Registration hooks receive a
``register`` callback supplied by the host, so the host knows which plugin registered
each name and applies one clash policy: registering a name that another plugin already
registered is an error naming both plugins, unless the later call passes
``override=True``.

``register`` has the signature::

    register(name: str, factory: Callable, *, description: str = "",
             config_class: type | None = None, override: bool = False) -> None

``factory`` must be *lazy*: calling it may import torch, merely registering it must not.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT_NAME = "neat"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

Register = Callable[..., None]


@hookspec
def register_backends(register: Register) -> None:
    """Register device backends.

    ``factory()`` takes no arguments and returns a :class:`neat_core.backends.Backend`.
    The backend's constructor must not import torch or touch a device; probing happens
    in its methods.
    """


@hookspec
def register_models(register: Register) -> None:
    """Register models.

    ``config_class`` is required: an attrs class deriving from
    :class:`neat_core.config.ModelConfig`; it becomes the ``model`` section of the
    schema when ``model.name`` is this model's name. ``factory(config)`` receives an
    instance of it and returns a ``torch.nn.Module`` whose ``forward(idx)`` maps a
    ``LongTensor[batch, time]`` of byte values to next-byte logits
    ``[batch, time, 256]``.
    """


@hookspec
def register_trainers(register: Register) -> None:
    """Register trainers, selected by ``training.trainer``.

    ``factory(config, backend)`` receives the resolved :class:`neat_core.config.NeatConfig`
    and the prepared backend and returns an object whose ``run(resume=None)`` trains and
    returns a dict of final metrics.
    """


@hookspec
def register_evaluators(register: Register) -> None:
    """Register evaluators, run by ``neat eval`` and ``neat analyze``.

    ``factory(model, config, backend)`` returns an object whose
    ``evaluate(documents) -> dict`` computes JSON-serialisable results for a list of
    ``(name, bytes)`` documents.
    """


@hookspec
def register_reports(register: Register) -> None:
    """Register report writers, chosen with ``--report``.

    ``factory()`` returns an object whose ``write(results, out_dir) -> Path | None``
    renders the results dict of an evaluation or analysis; it returns the file it wrote
    (``None`` when it wrote to the terminal).
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add Click commands or groups to the ``neat`` CLI with ``cli.add_command(...)``.

    Command modules should import torch inside the command function, never at import
    time, so ``neat --help`` stays fast.
    """


@hookspec
def register_training_callbacks(register: Register) -> None:
    """Register training callbacks: metric loggers, notifications, ...

    ``register(name, factory, *, description="", override=False)``.
    ``factory(config, run_dir)`` receives the resolved :class:`neat_core.config.NeatConfig`
    and the run's output directory (a ``Path``) when a run starts, and returns a callback
    object, or ``None`` to sit this run out (e.g. when an optional package is missing).
    On the rank that writes logs (rank 0) the trainer calls whichever of these methods
    the object defines, with JSON-ready dicts:

    - ``on_train_start(info)``: ``step`` (0, or the resumed step), ``max_steps``,
      ``world_size``, ``device``, ``parameters``, ``output_dir``
    - ``on_log(record)``: each ``"train"`` record of ``metrics.jsonl``
    - ``on_eval(record)``: each ``"eval"`` record of ``metrics.jsonl``
    - ``on_checkpoint(path, record)``: after a checkpoint is complete on disk
    - ``on_train_end(metrics)``: the final metrics, also after an interrupt

    A callback that raises is disabled with one warning naming its plugin (an error
    with ``NEAT_PLUGINS_STRICT=1``); training goes on.
    """
