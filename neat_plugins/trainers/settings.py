"""The ``training.standard`` section: the standard trainer's own settings (no torch)."""

from __future__ import annotations

from neat_core.api import Settings, frozen, setting


@frozen
class StandardSettings(Settings):
    repeat_dropout: float = setting(
        0.1, min=0, max=1, max_exclusive=True,
        help="Dropout the trainer turns on once a run starts seeing its training data "
             "again; 0: never.",
        notes="It rises from 0 at the end of the first pass over the training split to "
              "this rate at the end of the second, so runs that see their data less than "
              "twice train as before, and a small corpus seen many times in a run's "
              "budget is not memorised. Only for models built without dropout (every "
              "torch.nn.Dropout at 0); a model's own dropout setting takes precedence. "
              "A pure function of the bytes seen, so resumed runs stay exact.")
