"""The bytes to evaluate or analyse: text, files and sources, or a checkpoint's
evaluation split, streamed (:class:`DocumentStream`) or read into memory."""

from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Iterator, Sequence

import attrs

from .contracts import Documents, SourceDocument
from .data import build_corpora, iter_documents
from .errors import DataError
from .settings.schema import NeatConfig

TEXT_DOCUMENT = "<text>"


@attrs.frozen(eq=False)
class DocumentStream:
    """Documents read from their sources anew each time they are iterated, each a
    :class:`~neat_core.api.SourceDocument` whose chunks stream (read them in order,
    before asking for the next document): an evaluator that streams them holds a chunk
    at a time, whatever the size of the input. Empty documents are left out and each
    is cut to ``max_bytes``.

    A comparison gives every model the same stream object; streams compare (and hash)
    by identity, so an evaluator may keep what depends only on the bytes -- such as
    their compressed sizes -- for the stream's next pass."""

    open: Callable[[], Iterable[SourceDocument]]
    max_bytes: int | None = None

    @classmethod
    def of(cls, documents: Documents) -> DocumentStream:
        """Documents already in memory, as a stream."""
        return cls(lambda: (SourceDocument(name, [data], len(data))
                            for name, data in documents))

    def __iter__(self) -> Iterator[SourceDocument]:
        for document in self.open():
            chunks = iter(_cut(document.chunks, self.max_bytes))
            first = next(chunks, b"")
            if first:
                size = document.size if self.max_bytes is None or document.size is None \
                    else min(document.size, self.max_bytes)
                yield SourceDocument(document.name, itertools.chain([first], chunks), size)
            else:
                for _ in chunks:  # an empty document: read to its end, as promised
                    pass


def _cut(chunks: Iterable[bytes], limit: int | None) -> Iterator[bytes]:
    if limit is None:
        yield from (chunk for chunk in chunks if chunk)
        return
    for chunk in chunks:
        if limit <= 0:
            continue  # the source's reader still gets to finish the document
        if chunk:
            yield chunk[:limit]
            limit -= len(chunk)


def document_stream(config: NeatConfig, data: Sequence[str] | None = None,
                    text: str | None = None) -> tuple[DocumentStream, dict[str, Any]]:
    """The documents to evaluate as a stream, and a description of where they came from
    (counted in one pass over them, which reads but keeps nothing)."""
    origin: dict[str, Any]
    if text is not None:
        encoded = text.encode("utf-8")
        opener: Callable[[], Iterable[SourceDocument]] = lambda: [
            SourceDocument(TEXT_DOCUMENT, [encoded], len(encoded))]
        origin = {"origin": "text", "sources": []}
    elif data:
        sources = list(data)
        opener = lambda: iter_documents(config, sources)
        origin = {"origin": "files", "sources": sources}
    else:
        opener = _eval_split(config)
        origin = {"origin": "eval-split",
                  "sources": list(config.data.eval or config.data.train)}
    stream = DocumentStream(opener, config.eval.max_bytes)
    documents = total = 0
    for document in stream:
        documents += 1
        total += sum(len(chunk) for chunk in document.chunks)
    if total - documents <= 0:
        where = ", ".join(origin["sources"]) or "the text given"
        raise DataError(f"no data to evaluate: {where} gave "
                        f"{'no bytes' if not documents else 'a single byte'}",
                        hint="pass files or directories with --data, or a string with --text")
    origin.update(documents=documents, bytes=total)
    return stream, origin


def load_documents(config: NeatConfig, data: Sequence[str] | None = None,
                   text: str | None = None) -> tuple[Documents, dict[str, Any]]:
    """The documents to evaluate, read into memory as ``(name, bytes)`` pairs, and a
    description of where they came from."""
    stream, origin = document_stream(config, data, text)
    return as_bytes(stream), origin


def as_bytes(documents: DocumentStream | Documents) -> Documents:
    """``(name, bytes)`` pairs, reading a stream into memory."""
    if not isinstance(documents, DocumentStream):
        return documents
    return [(document.name, b"".join(document.chunks)) for document in documents]


def _eval_split(config: NeatConfig) -> Callable[[], Iterable[SourceDocument]]:
    # block_size=1: evaluation scores documents of any length, unlike training windows
    corpus = build_corpora(config, block_size=1, progress=config.run.progress).eval
    return lambda: (SourceDocument(doc.name, corpus.read(doc), doc.end - doc.start)
                    for doc in corpus.documents)
