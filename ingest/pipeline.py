"""`ragchat ingest`: load, clean, chunk and embed files; write each document atomically."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import Chunk, chunk_text, make_splitter
from ingest.cleaning import Span, keep_spans
from ingest.embeddings import Embedder
from ingest.index import Index, VersionWrite, check_collection
from ingest.loaders import (
    LoadedDocument,
    Region,
    UnsupportedFileError,
    load_bytes,
    metadata_at,
    read_limited,
    supported_extensions,
)
from ingest.sentences import sentence_spans
from ingest.storage import InvalidFilterError, NewVersion, StoredChunk, parse_date
from ingest.storage.records import pack_vectors

logger = logging.getLogger(__name__)

# Bumped when stored chunks change shape, so the next ingest rewrites them.
PIPELINE_VERSION = "4"  # 4: sentence vectors stored at ingest


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    chunks: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    locator: str
    document_id: str
    source: str
    title: str
    text: str
    content_hash: str
    version: str
    size_bytes: int
    sentences: list[Span]
    chunks: list[Chunk]
    is_new: bool
    tags: list[str]
    doc_date: float | None
    regions: list[Region]

    def embedding_text(self, chunk: Chunk, *, with_title: bool) -> str:
        """The chunk as embedded: headed by its document's title unless it already holds it.

        News pages, reports and manuals name their subject in the title; a chunk deep in
        the body often does not, so the title gives it the context a question refers to.
        """
        return titled(self.title if with_title else "", chunk.text)

    def chunk_id(self, chunk: Chunk) -> str:
        return f"{self.document_id}:{self.version}:{chunk.index}"

    def chunk_metadata(self, chunk: Chunk) -> dict[str, str | int | float]:
        return {
            "document_id": self.document_id,
            "version": self.version,
            "source": self.source,
            "title": self.title,
            "chunk_index": chunk.index,
            "start": chunk.start,
            "end": chunk.end,
            "tokens": chunk.tokens,
            **metadata_at(self.regions, chunk.start),
        }


def titled(title: str, text: str) -> str:
    """A chunk's text as embedded: headed by its title, unless empty or already in the text."""
    if not title or title in text:
        return text
    return f"{title}\n\n{text}"


def document_id_for(path: Path) -> str:
    return document_id_of(str(path.resolve()))


def document_id_of(locator: str) -> str:
    """A document's id: a digest of where its original lives (a file path or a blob)."""
    return hashlib.sha256(locator.encode()).hexdigest()[:16]


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest, and the paths skipped with a reason."""
    exts = set(supported_extensions())
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for root in paths:
        if not root.exists():
            raise FileNotFoundError(f"no such file or folder: {root}")
        if root.is_file():
            files.append(root)
            continue
        for p in sorted(root.rglob("*")):
            if not p.is_file() or any(part.startswith(".") for part in p.relative_to(root).parts):
                continue
            if p.suffix.lower() in exts:
                files.append(p)
            else:
                skipped.append((str(p), f"unsupported type {p.suffix or '(none)'}"))
    return list(dict.fromkeys(f.resolve() for f in files)), skipped


class Ingestor:
    def __init__(
        self,
        *,
        index: Index,
        embedder: Embedder,
        chunk_tokens: int,
        chunk_overlap: int,
        batch_size: int,
        max_file_bytes: int,
        title_context: bool = False,
        parse: Callable[[bytes, str], LoadedDocument] = load_bytes,
    ) -> None:
        """`parse` turns a file's bytes into text: in a server, the bounded parser."""
        self.index = index
        self.parse = parse
        self.title_context = title_context
        self.embedder = embedder
        self.batch_size = batch_size
        self.max_file_bytes = max_file_bytes
        self.splitter = make_splitter(chunk_tokens, chunk_overlap)
        fingerprint = (
            f"{PIPELINE_VERSION}:{chunk_tokens}:{chunk_overlap}:{embedder.name}:{title_context}"
        )
        self.fingerprint = hashlib.sha256(fingerprint.encode()).hexdigest()[:8]

    def prepare(
        self,
        path: Path,
        collection: str,
        tags: list[str] | None = None,
        *,
        data: bytes | None = None,
        loaded: LoadedDocument | None = None,
        source: str | None = None,
        locator: str | None = None,
        force: bool = False,
    ) -> Prepared | None:
        """None when the stored version is already current (its tags are updated in place).

        `data` and `loaded` are the file's bytes and their parse when the caller has them
        already (an upload is parsed once, in the bounded parser); `source` is the name to
        show when it is not the file's own; `locator` is where an upload's original is
        stored, which names the document instead of `path`; `force` rewrites a current
        version (repairs).
        """
        if data is None:
            data = read_limited(path, max_bytes=self.max_file_bytes)
        content_hash = hashlib.sha256(data).hexdigest()
        version = f"{content_hash[:16]}{self.fingerprint}"
        from_file = locator is None
        locator = locator or str(path.resolve())
        document_id = document_id_of(locator)
        existing = self.index.get(collection, document_id)
        if existing and existing.version == version and not force:
            if tags is not None and sorted(set(tags)) != existing.tags:
                self.index.set_tags(collection, document_id, tags)
            return None
        if loaded is None:
            loaded = self.parse(data, path.name)
        kept = keep_spans(loaded.text)
        chunks = chunk_text(loaded.text, kept, splitter=self.splitter)
        if not chunks:
            raise UnsupportedFileError(f"{path.name}: no text content to index")
        return Prepared(
            locator=locator,
            document_id=document_id,
            source=source or path.name,
            title=loaded.title,
            text=loaded.text,
            content_hash=content_hash,
            version=version,
            size_bytes=len(data),
            sentences=sentence_spans(loaded.text, kept),
            chunks=chunks,
            is_new=existing is None or existing.version is None,
            tags=tags if tags is not None else (existing.tags if existing else []),
            doc_date=_document_date(loaded.metadata.get("date"), path if from_file else None),
            regions=loaded.regions,
        )

    def version_write(
        self,
        doc: Prepared,
        embeddings: list[list[float]],
        sentence_vectors: list[list[float]] | None,
    ) -> VersionWrite:
        metadatas = [doc.chunk_metadata(c) for c in doc.chunks]
        new = NewVersion(
            source=doc.source,
            path=doc.locator,
            title=doc.title,
            content_hash=doc.content_hash,
            version=doc.version,
            text=doc.text,
            sentences=doc.sentences,
            chunks=[
                StoredChunk(
                    chunk_id=doc.chunk_id(c),
                    document_id=doc.document_id,
                    chunk_index=c.index,
                    start=c.start,
                    end=c.end,
                    text=c.text,
                    metadata=meta,
                    title=doc.title if self.title_context else "",
                )
                for c, meta in zip(doc.chunks, metadatas, strict=True)
            ],
            size_bytes=doc.size_bytes,
            tags=doc.tags,
            doc_date=doc.doc_date,
            regions=doc.regions,
            sentence_vectors=pack_vectors(sentence_vectors) if sentence_vectors else None,
        )
        return VersionWrite(doc.document_id, new, embeddings, metadatas)

    def _windows(
        self,
        files: list[Path],
        collection: str,
        report: IngestReport,
        on_file: Callable[[], None],
        tags: list[str] | None,
    ) -> Iterator[list[Prepared]]:
        window: list[Prepared] = []
        for path in files:
            try:
                prepared = self.prepare(path, collection, tags)
            except (UnsupportedFileError, OSError) as exc:
                report.failed.append((str(path), str(exc)))
                on_file()
                continue
            if prepared is None:
                report.unchanged += 1
                on_file()
                continue
            window.append(prepared)
            if sum(len(p.chunks) for p in window) >= self.batch_size * 4:
                yield window
                window = []
        if window:
            yield window

    def ingest(
        self,
        paths: Iterable[Path],
        *,
        collection: str,
        prune: bool = False,
        tags: list[str] | None = None,
        on_start: Callable[[int], None] | None = None,
        on_file: Callable[[], None] | None = None,
    ) -> IngestReport:
        check_collection(collection)
        self.index.cleanup(collection)
        roots = list(paths)
        files, skipped = discover(roots)
        report = IngestReport(skipped=skipped)
        if on_start:
            on_start(len(files))
        tick = on_file or (lambda: None)
        for window in self._windows(files, collection, report, tick, tags):
            self._embed_and_write(window, collection, report, tick)
        if prune:
            report.deleted = self.prune(collection, roots=[Path(p) for p in roots])
        return report

    def ingest_one(
        self,
        locator: str,
        *,
        collection: str,
        data: bytes,
        loaded: LoadedDocument,
        source: str,
        tags: list[str] | None = None,
        force: bool = False,
    ) -> IngestReport:
        """Index one original whose bytes were already read and parsed (an upload)."""
        check_collection(collection)
        self.index.cleanup(collection)
        report = IngestReport()
        prepared = self.prepare(
            Path(source),
            collection,
            tags,
            data=data,
            loaded=loaded,
            source=source,
            locator=locator,
            force=force,
        )
        if prepared is None:
            report.unchanged += 1
        else:
            self._embed_and_write([prepared], collection, report, lambda: None)
        return report

    def _embed_and_write(
        self,
        window: list[Prepared],
        collection: str,
        report: IngestReport,
        tick: Callable[[], None],
    ) -> None:
        # Chunks and sentences in one pass: the answerer reads stored sentence vectors
        # instead of embedding passages while a user waits.
        texts = [
            doc.embedding_text(c, with_title=self.title_context)
            for doc in window
            for c in doc.chunks
        ]
        texts += [doc.text[s.start : s.end] for doc in window for s in doc.sentences]
        vectors = self.embedder.embed(texts, batch_size=self.batch_size)
        writes = []
        pos = 0
        spos = sum(len(doc.chunks) for doc in window)
        for doc in window:
            n, m = len(doc.chunks), len(doc.sentences)
            writes.append(self.version_write(doc, vectors[pos : pos + n], vectors[spos : spos + m]))
            pos += n
            spos += m
        with self.index.writing_many(collection, [w.document_id for w in writes]) as owners:
            self.index.write_versions(collection, writes, owners=owners)
        for doc in window:
            report.chunks += len(doc.chunks)
            if doc.is_new:
                report.added += 1
            else:
                report.updated += 1
            tick()

    def prune(self, collection: str, *, roots: list[Path]) -> int:
        """Delete the documents of files under `roots` that are gone.

        Only under the roots given: with a shared database, files ingested on another
        machine are not on this one, and are not gone.
        """
        folders = [r.resolve() for r in roots]
        deleted = 0
        for rec in self.index.documents(collection):
            if not rec.path or self.index.is_upload(rec):
                continue
            path = Path(rec.path)
            under = any(path == f or f in path.parents for f in folders)
            if under and not path.exists():
                self.index.delete(collection, rec.document_id)
                deleted += 1
        return deleted


def _document_date(declared: str | None, path: Path | None) -> float:
    """The date the loader found in the document, else the file's modification time.

    An upload has no file of the user's: its date is the time it arrived.
    """
    if declared:
        try:
            parsed = parse_date(declared)
        except InvalidFilterError:
            parsed = None
        if parsed is not None:
            return parsed
    return path.stat().st_mtime if path is not None else time.time()
