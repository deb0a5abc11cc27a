"""The settings of everything the example plugin registers, one class each.

Each class becomes a section of NEAT's one config schema, so users set these keys in
config files, with ``--set`` (and any ``flag`` given), see them in ``neat config show
--explain`` and get the same validation and "did you mean" as for NEAT's own keys.
Where a section lives depends on the kind of plugin (see docs/plugins.md):

==========================  ===================================================
class                       config keys
==========================  ===================================================
``ByteGruConfig``           ``model.*`` when ``model.name`` is ``byte-gru``
``BackgroundCpuSettings``   ``backend.cpu-background.*``
``SurpriseSettings``        ``evaluators.surprise.*``
``MarkdownSettings``        ``reports.markdown.*``
``CsvLogSettings``          ``callbacks.csv-log.*``
==========================  ===================================================

Only attrs and neat_core.config are imported here: the entry-point module imports this
module, and it must stay light.
"""

from __future__ import annotations

from neat_core.config import CallbackConfig, ModelConfig, Settings, frozen, require, setting


@frozen  # every settings class: frozen (immutable) and keyword-only
class ByteGruConfig(ModelConfig):
    """The ``model`` section of ``byte-gru``; ``name`` comes from the base."""

    hidden_size: int = setting(128, min=8, help="Width of the byte embedding and GRU state.")
    num_layers: int = setting(1, min=1, help="Stacked GRU layers.")
    dropout: float = setting(0.0, min=0, max=1, max_exclusive=True,
                             help="Dropout between GRU layers (needs num_layers > 1).")
    block_size: int = setting(128, min=2, help="Bytes per training sequence and scoring "
                                               "window.")


@frozen
class BackgroundCpuSettings(Settings):
    threads: int = setting(1, min=1, help="torch threads: few, to leave cores to other work.")
    niceness: int = setting(10, min=0, max=19,
                            help="Scheduling niceness the process lowers itself to "
                                 "(0: as started; 19: lowest priority).",
                            notes="A process can lower its priority but not raise it "
                                  "again, so a process already nicer than this stays as "
                                  "it is.")


@frozen
class SurpriseSettings(Settings):
    top: int = setting(5, min=0, max=1000, flag="--surprises", commands=("eval",),
                       help="How many of the most surprising bytes to list (needs "
                            "`surprise` in eval.evaluators).")
    context: int = setting(16, min=0, max=200,
                           help="Bytes shown before each surprising byte.")


@frozen
class MarkdownSettings(Settings):
    digits: int = setting(4, min=1, max=17, help="Significant digits of numbers.")
    max_rows: int = setting(50, min=1, help="Rows shown per table; the rest are counted.")


@frozen
class CsvLogSettings(CallbackConfig):
    enabled: bool = setting(False, help="Write metrics.csv in the run directory (opt-in).")
    every: int = setting(1, min=1, help="Write every Nth training record "
                                        "(one record per training.log_steps steps).")
    columns: list[str] = setting(factory=lambda: ["step", "loss", "bpb", "lr",
                                                  "bytes_per_second"],
                                 help="Keys of the training records written, in order; "
                                      "a record without a key leaves its cell empty.")

    def __attrs_post_init__(self) -> None:  # rules across fields, or like this one
        require(bool(self.columns), "callbacks.csv-log.columns is empty",
                hint="name at least one key of the training records, e.g. step,loss")
