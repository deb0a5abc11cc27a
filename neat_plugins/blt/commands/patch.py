"""``neat patch``: split bytes into entropy patches with a saved model.

The input is streamed: read, scored (with the model's context carried across chunk
edges, :func:`neat_core.scoring.score_stream`), patched (:class:`PatchStream`) and
written a chunk at a time, so memory does not grow with the input (it holds a chunk
and the longest patch; ``--format json`` keeps its entropies in a temporary file).
With a target patch size the threshold is calibrated on the first
``CALIBRATION_BYTES`` of the input, which for longer inputs stands for the rest.

Imports stay light: the model, torch and numpy load inside the command.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import click

from neat_core.api import DataError, RunError, UsageError, config_command, write_failure

from ..patching.settings import PatchingConfig
from .escape import escape
from .interactive import describe_own

log = logging.getLogger("neat.patch")

FORMATS = ("text", "json", "jsonl")
ENTROPY_DECIMALS = 4  # 1e-4 bits is far below anything a threshold distinguishes
CHUNK = 1 << 20  # input bytes scored at a time
CALIBRATION_BYTES = 1 << 20  # a target patch size calibrates the threshold on these
BLOCK = 1 << 16  # characters or numbers of one patch formatted at a time


@config_command("patch", "backend.name", "run.progress")
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

    Reads raw bytes, so any binary file works, of any length: the input is streamed.
    The settings come from the checkpoint's config; a config file, --set and the flags
    override them. Entropies and thresholds are in bits (0-8). --target-patch-size
    calibrates the threshold (on the first MiB of the input) so patches average that
    many bytes.
    """
    from neat_core.api import (
        compute_entropies,
        load_checkpoint,
        resolve_checkpoint,
        score_stream,
        select_backend,
        stream_alignment,
        stream_context,
        to_dict,
    )
    from neat_core.checkpoint import resolve_over_checkpoint
    from neat_core.session import locate_checkpoint

    from ..patching.stream import PatchStream

    # the checkpoint is checked without a word, so that a bad input is the first line
    saved = load_checkpoint(locate_checkpoint(checkpoint), training_state=False)
    chunks, size = _read_input(file)
    resolve_checkpoint(checkpoint)  # says which checkpoint of a run directory is used
    explicit = [path for path, source in resolved.sources.items()
                if path.startswith("patching.") and source != "default"]
    resolved = resolve_over_checkpoint(resolved, saved)  # flags on top
    config = resolved.config
    backend = select_backend(config.backend)
    model = saved.build_model(backend.device, config.model)
    patching_of = getattr(model, "patching", None)
    own = patching_of() if callable(patching_of) else None
    if own is None:
        _check_flags(resolved)
    elif explicit:
        raise UsageError(f"this {saved.model_name} model cuts its own patches "
                         f"({describe_own(own.settings)}): {', '.join(sorted(explicit))} "
                         f"would have no effect",
                         hint="drop the patching settings; the model's are its model.* "
                              "settings (model.patching, model.threshold, ...)")
    quiet = (click.get_current_context().find_root().obj or {}).get("quiet", False)
    scoring = {"batch_size": config.eval.batch_size, "device": backend.device}

    def entropies(data: bytes) -> Any:
        with backend.autocast():
            return compute_entropies(model, data, stride=config.eval.stride,
                                     observe=backend.observe_step, **scoring)

    progress = _progress(size, config.run.progress and not quiet and sys.stderr.isatty())
    counted = _counted(chunks, progress)
    configured = config.settings(PatchingConfig)
    if own is None:
        scored = _finite(score_stream(entropies, counted, stream_context(model),
                                      stream_alignment(model)))
        patching, scored = _calibrate(scored, configured)
        shown = {**to_dict(patching), "target_patch_size": configured.target_patch_size}
    else:
        scored, patching = _finite(_own_patches(own, counted, model, entropies)), None
        shown = dict(own.settings)
    settings = {"model": saved.model_name, "checkpoint": str(saved.path), "input": file,
                "entropy_unit": "bits", "patching": shown}
    output = OUTPUTS[output_format](settings)
    stream, total, entropy_sum, patches = PatchStream(patching or PatchingConfig()), 0, 0.0, 0
    with progress:
        for data, values in scored:
            values, starts = (values, None) if own is None else (values[:, 0], values[:, 1])
            total += len(data)
            entropy_sum += float(values.sum(dtype="float64"))
            for piece in stream.feed(data, values, starts):
                output.patch(piece)
                patches += 1
            output.flush()
        for piece in stream.finish():
            output.patch(piece)
            patches += 1
    summary = {"bytes": total, "num_patches": patches, "average_patch_size": total / patches,
               "mean_entropy_bits": entropy_sum / total}
    output.close(summary)
    log.info("%d bytes -> %d patches, average %.2f bytes (%s)", total, patches,
             summary["average_patch_size"],
             describe_own(shown) if own is not None else _describe(patching))


def _describe(patching: Any) -> str:
    threshold = patching.active_threshold
    return (f"mode {patching.mode}"
            + ("" if threshold is None else f", threshold {threshold:.4g} bits"))


def _own_patches(own: Any, chunks: Iterable[bytes], model: Any,
                 entropies: Any) -> Iterator[tuple[bytes, Any]]:
    """``(chunk, [entropies, starts])`` of the patches the model cuts itself, each chunk
    cut in a piece that starts early enough (and where the model allows) for the
    chunk's patches to be those of the whole input. The entropies are those that
    placed the boundaries, or (fixed rules) the model's own next-byte entropies."""
    import numpy as np

    from neat_core.api import score_stream, stream_alignment, stream_context

    context, align = own.context, own.align
    _, placed = own.starts(b"x")
    if placed is None:  # shown entropies come from the model: its context too
        context = max(context, stream_context(model))
        align = math.lcm(align, stream_alignment(model))

    def score(piece: bytes) -> Any:
        starts, values = own.starts(piece)
        if values is None:
            values = entropies(piece)
        return np.column_stack((values, starts))

    return score_stream(score, chunks, context, align)


def _read_input(file: str) -> tuple[Iterator[bytes], int | None]:
    """The input's chunks (the first already read, so an empty or unreadable input fails
    now) and its size when known."""
    if file == "-":
        stream: IO[bytes] = sys.stdin.buffer
        if stream.isatty():
            raise UsageError("no input: pass FILE, or pipe bytes to stdin",
                             hint="e.g. neat patch CHECKPOINT notes.txt")
        size = None
    else:
        try:
            stream = open(file, "rb")
            size = os.fstat(stream.fileno()).st_size
        except OSError as error:
            raise DataError(f"cannot read {file}: {error.strerror or error}",
                            hint="pass a readable file, or - for stdin") from None
    first = _read_chunk(stream, file)
    if not first:
        raise DataError(f"no bytes to patch: {'stdin' if file == '-' else file} is empty",
                        hint="pass a non-empty input")

    def chunks() -> Iterator[bytes]:
        chunk = first
        try:
            while chunk:
                yield chunk
                chunk = _read_chunk(stream, file)
        finally:
            if file != "-":
                stream.close()

    return chunks(), size


def _read_chunk(stream: IO[bytes], file: str) -> bytes:
    try:
        return stream.read(CHUNK)
    except OSError as error:
        raise DataError(f"cannot read {'stdin' if file == '-' else file}: "
                        f"{error.strerror or error}", hint="pass a readable input") from None


def _progress(total: int | None, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="patching",
                disable=not enabled, delay=1.0, leave=False)


def _counted(chunks: Iterable[bytes], progress: Any) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk
        progress.update(len(chunk))


def _finite(scored: Iterable[tuple[bytes, Any]]) -> Iterator[tuple[bytes, Any]]:
    """Stop at entropies that are NaN or infinite: patches of them would mean nothing."""
    import numpy as np

    position = 0
    for data, values in scored:
        bad = np.flatnonzero(~np.isfinite(values if values.ndim == 1 else values[:, 0]))
        if bad.size:
            raise RunError(f"the model gave a non-finite entropy ({values[bad[0]]}) at byte "
                           f"{position + int(bad[0])}",
                           hint="its weights or settings make it compute NaN; use another "
                                "checkpoint")
        position += len(data)
        yield data, values


def _calibrate(scored: Iterator[tuple[bytes, Any]], patching: Any
               ) -> tuple[Any, Iterator[tuple[bytes, Any]]]:
    """The patching settings with the threshold calibrated on the first
    CALIBRATION_BYTES (when a target patch size is set), and the same stream."""
    import numpy as np

    from ..patching.calibration import calibrated

    if patching.target_patch_size is None:
        return patching, scored
    prefix, size = [], 0
    for item in scored:
        prefix.append(item)
        size += len(item[0])
        if size >= CALIBRATION_BYTES:
            log.info("calibrating the threshold on the first %d bytes of the input", size)
            break
    patching = calibrated(np.concatenate([values for _, values in prefix]), patching)
    return patching, itertools.chain(prefix, scored)


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


class Output:
    """Writes one format to stdout in pieces of ``BUFFERED`` parts (and after each chunk
    of input), so output goes out as the input is read without a write per patch."""

    BUFFERED = 4096

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.parts: list[str] = []

    def patch(self, piece: Any) -> None:
        self.add(piece)
        if len(self.parts) >= self.BUFFERED:
            self.flush()

    def add(self, piece: Any) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        click.echo("".join(self.parts), nl=False)
        self.parts.clear()

    def close(self, summary: dict[str, Any]) -> None:
        self.flush()


class TextOutput(Output):
    """The input with ``|`` between patches."""

    def add(self, piece: Any) -> None:
        self.parts.append(("|" if piece.start else "") + escape(piece.data))

    def close(self, summary: dict[str, Any]) -> None:
        self.parts.append("\n")
        self.flush()


class JsonlOutput(Output):
    """One line per patch, then a summary line."""

    index = 0

    def add(self, piece: Any) -> None:
        text = piece.data.decode("utf-8", errors="backslashreplace")
        head = json.dumps({"type": "patch", "index": self.index, "start": piece.start,
                           "length": len(piece.data)})[:-1]
        self.parts.append(f'{head}, "text": "')
        for start in range(0, len(text), BLOCK):  # a long patch is not copied whole
            self.parts.append(json.dumps(text[start:start + BLOCK])[1:-1])
        self.parts.append('", "entropies": [')
        self.parts.extend(_numbers(piece.entropies, ""))
        self.parts.append("]}\n")
        self.index += 1

    def close(self, summary: dict[str, Any]) -> None:
        self.parts.append(json.dumps({"type": "summary", **self.settings,
                                      "summary": summary}) + "\n")
        self.flush()


class JsonOutput(Output):
    """One JSON object: the settings, ``patch_lengths`` (written as patches are made),
    ``entropies`` (kept in a temporary file until the lengths are done) and the summary."""

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(settings)
        self.spool = tempfile.TemporaryFile("w+", encoding="ascii")
        self.parts.append(json.dumps(settings)[:-1] + ', "patch_lengths": [')

    def add(self, piece: Any) -> None:
        separator = ", " if piece.start else ""
        self.parts.append(f"{separator}{len(piece.data)}")
        for block in _numbers(piece.entropies, separator):
            try:
                self.spool.write(block)
            except OSError as error:
                raise write_failure(Path(tempfile.gettempdir()), error, len(block)) from None

    def close(self, summary: dict[str, Any]) -> None:
        self.parts.append('], "entropies": [')
        self.flush()
        self.spool.seek(0)
        for block in iter(lambda: self.spool.read(CHUNK), ""):
            click.echo(block, nl=False)
        self.spool.close()
        click.echo(f'], "summary": {json.dumps(summary)}}}')


def _numbers(values: Any, separator: str) -> Iterator[str]:
    """``values`` rounded, as comma-separated JSON numbers in blocks (the first block
    starts with ``separator``), so a long patch is never one big list."""
    for start in range(0, len(values), BLOCK):
        block = json.dumps(_rounded(values[start:start + BLOCK]))[1:-1]
        yield (separator if start == 0 else ", ") + block


OUTPUTS = {"text": TextOutput, "json": JsonOutput, "jsonl": JsonlOutput}
