"""``neat patch``: split bytes into entropy patches with a saved model.

Imports stay light: the model, torch and numpy load inside the command.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from neat_core.cli.options import config_command
from neat_core.config import to_dict
from neat_core.errors import DataError, UsageError

from .config import PatchingConfig

log = logging.getLogger("neat.patch")

FORMATS = ("text", "json", "jsonl")
ENTROPY_DECIMALS = 4  # 1e-4 bits is far below anything a threshold distinguishes
_ESCAPES = {"\\": "\\\\", "|": "\\|", "\n": "\\n\n", "\t": "\\t", "\r": "\\r"}


@config_command("patch", "backend.name")
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("file", required=False, default="-", metavar="[FILE|-]")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True,
              help="text: the input with '|' between patches (backslash escapes for "
                   "'|', '\\' and non-printable bytes); json: patch lengths, per-byte "
                   "entropies in bits and a summary; jsonl: one line per patch, then a "
                   "summary line.")
def patch(resolved, checkpoint: Path, file: str, output_format: str) -> None:
    """Split FILE (default: stdin, also '-') into patches where the model is uncertain.

    Reads raw bytes, so any binary file works. The settings come from the checkpoint's
    config; a config file, --set and the flags override them. Entropies and thresholds
    are in bits (0-8). --target-patch-size calibrates the threshold so patches average
    that many bytes.
    """
    from neat_core.backends import select_backend
    from neat_core.checkpoint import load_checkpoint, resolve_over_checkpoint
    from neat_core.evaluate import resolve_checkpoint
    from neat_core.scoring import compute_entropies

    from .patching import calibrated, patch_lengths_for

    saved = load_checkpoint(resolve_checkpoint(checkpoint))
    data = _read_input(file)
    resolved = resolve_over_checkpoint(resolved, saved)
    config = resolved.config
    _check_flags(resolved)
    backend = select_backend(config.backend)
    model = saved.build_model(backend.device, config.model)
    quiet = (click.get_current_context().find_root().obj or {}).get("quiet", False)
    with backend.autocast():
        entropies = compute_entropies(model, data, batch_size=config.eval.batch_size,
                                      stride=config.eval.stride, device=backend.device,
                                      observe=backend.observe_step,
                                      progress=config.run.progress and not quiet
                                      and sys.stderr.isatty())
    patching = calibrated(entropies, config.settings(PatchingConfig))
    lengths = patch_lengths_for(entropies, patching, data)
    summary = {
        "bytes": len(data),
        "num_patches": len(lengths),
        "average_patch_size": len(data) / len(lengths),
        "mean_entropy_bits": float(entropies.mean()),
    }
    settings = {"model": saved.model_name, "checkpoint": str(saved.path), "input": file,
                "entropy_unit": "bits",
                "patching": {**to_dict(patching),
                             "target_patch_size":
                                 config.settings(PatchingConfig).target_patch_size}}
    if output_format == "json":
        click.echo(json.dumps({**settings, "summary": summary, "patch_lengths": lengths,
                               "entropies": _rounded(entropies)}))
    elif output_format == "jsonl":
        _write_jsonl(data, lengths, entropies, {**settings, "summary": summary})
    else:
        click.echo(marked_text(data, lengths))
    threshold = patching.active_threshold
    log.info("%d bytes -> %d patches, average %.2f bytes (mode %s%s)", len(data), len(lengths),
             summary["average_patch_size"], patching.mode,
             "" if threshold is None else f", threshold {threshold:.4g} bits")


def _read_input(file: str) -> bytes:
    if file == "-":
        stdin = sys.stdin.buffer
        if stdin.isatty():
            raise UsageError("no input: pass FILE, or pipe bytes to stdin",
                             hint="e.g. neat patch CHECKPOINT notes.txt")
        data = stdin.read()
    else:
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise DataError(f"cannot read {file}: {error.strerror or error}",
                            hint="pass a readable file, or - for stdin") from None
    if not data:
        raise DataError(f"no bytes to patch: {'stdin' if file == '-' else file} is empty",
                        hint="pass a non-empty input")
    return data


def _check_flags(resolved: Any) -> None:
    """Refuse flags that would have no effect, instead of ignoring them."""
    patching = resolved.config.settings(PatchingConfig)
    mode = patching.mode
    if resolved.sources.get("patching.threshold") != "--threshold":
        return
    if patching.target_patch_size is not None:
        raise UsageError("--threshold and a target patch size both set the threshold",
                         hint="give one of them (unset a configured one with --set "
                              "patching.target_patch_size=null)")
    if not patching.uses_threshold or patching.threshold_field != "threshold":
        raise UsageError(f"--threshold is the global threshold, which mode '{mode}' "
                         f"does not use",
                         hint="for mode relative use --set patching.relative_threshold=X"
                         if mode == "relative" else "use mode global or combined")


def _rounded(values: Any) -> list[float]:
    return values.astype(float).round(ENTROPY_DECIMALS).tolist()


def escape(data: bytes) -> str:
    """``data`` as printable text: UTF-8 where valid, ``\\xNN`` for other bytes and
    non-printable characters, ``\\|`` and ``\\\\`` for the marker and the escape
    character; a newline shows as ``\\n`` followed by a line break."""
    text = data.decode("utf-8", errors="surrogateescape")
    return text.translate({ord(char): _escape_char(char) for char in set(text)})


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not valid UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if not char.isprintable():
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def marked_text(data: bytes, lengths: list[int]) -> str:
    """The input with ``|`` between patches."""
    pieces, start = [], 0
    for length in lengths:
        pieces.append(escape(data[start:start + length]))
        start += length
    return "|".join(pieces)


def _write_jsonl(data: bytes, lengths: list[int], entropies: Any, last: dict[str, Any]) -> None:
    start = 0
    for index, length in enumerate(lengths):
        record = {"type": "patch", "index": index, "start": start, "length": length,
                  "text": data[start:start + length].decode("utf-8", errors="backslashreplace"),
                  "entropies": _rounded(entropies[start:start + length])}
        click.echo(json.dumps(record))
        start += length
    click.echo(json.dumps({"type": "summary", **last}))
