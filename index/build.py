"""Bring the passage index in line with the articles.

Incremental by default: an article's content hash (kept in the generation's
manifest) says whether it was added, changed or removed, and only those
articles' passages are rewritten. ``full=True`` rebuilds from nothing. Either
way the work happens in a new generation (index/generations.py), published
only when complete.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index

from index import generations
from index.analysis import vocabulary_words
from index.schema import passage_schema
from kb.article import Article

MANIFEST_FORMAT = 1
# Whoosh's writer buffers this much before flushing a segment.
WRITER_MEMORY_MB = 256
# Large builds use a writer process per core, up to MAX_PROCS.
PARALLEL_FROM = 2000
MAX_PROCS = 4


@dataclass
class BuildReport:
    articles: int
    passages: int
    added: int
    updated: int
    removed: int
    seconds: float
    full: bool
    generation: str | None  # None when nothing needed doing

    @property
    def changed(self) -> bool:
        return self.generation is not None


def article_hash(article: Article) -> str:
    """A hash of everything an article contributes to the index.

    The repr of the frozen dataclasses is deterministic and names every
    field, and much cheaper than a JSON round trip over 10,000 articles.
    """
    return hashlib.sha256(repr(article).encode("utf-8")).hexdigest()


@dataclass
class Plan:
    """What an incremental build must do."""
    added: list[Article]
    updated: list[Article]
    removed: list[str]
    hashes: dict[str, str]

    @property
    def empty(self) -> bool:
        return not (self.added or self.updated or self.removed)


def plan(articles: Iterable[Article], manifest: dict) -> Plan:
    indexed = manifest.get("articles", {}) if manifest.get("format") == MANIFEST_FORMAT else {}
    added, updated, hashes = [], [], {}
    for article in articles:
        digest = hashes[article.id] = article_hash(article)
        if article.id not in indexed:
            added.append(article)
        elif indexed[article.id]["hash"] != digest:
            updated.append(article)
    removed = sorted(set(indexed) - set(hashes))
    return Plan(added, updated, removed, hashes)


def index_status(articles: list[Article], index_dir: Path) -> str:
    """'missing', 'stale' or 'current'."""
    generation = generations.current_generation(index_dir)
    if generation is None:
        return "missing"
    return "current" if plan(articles, generations.read_manifest(generation)).empty else "stale"


def passage_documents(article: Article) -> Iterable[dict]:
    """The index documents of one article's passages."""
    related = [[r.title, r.id] for r in article.related]
    passages = article.passages()
    words = {article.title, *(p.heading for p in passages), *(p.body for p in passages)}
    vocabulary = " ".join(sorted(set(vocabulary_words(" ".join(words)))))
    for order, p in enumerate(passages):
        yield {
            "id": p.id, "article_id": article.id, "kind": p.kind,
            "number": p.number, "order": order,
            # An intro or conclusion stands under the article's title: it is
            # the passage that answers a query about the article as a whole.
            "heading": p.heading or article.title, "body": p.body, "title": article.title,
            "url": p.url, "related": related,
            "vocab": vocabulary if order == 0 else "",
        }


def build_index(articles: list[Article], index_dir: Path, *, full: bool = False,
                progress: Callable[[int], None] | None = None,
                lock_wait: float = 3.0) -> BuildReport:
    """Publish a generation holding ``articles``; see the module docstring.

    ``progress(n)`` is called with the number of articles just written.
    Raises SearchIndexError when another build holds the lock.
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    with generations.builder_lock(index_dir, lock_wait):
        generations.remove_leftovers(index_dir)
        base = None if full else generations.current_generation(index_dir)
        work = plan(articles, generations.read_manifest(base))
        if base is not None and work.empty:
            return BuildReport(len(articles), _count_passages(articles), 0, 0, 0,
                               time.monotonic() - started, full, None)
        with generations.new_generation(index_dir, base) as folder:
            if base is None:
                ix = whoosh_index.create_in(str(folder), passage_schema())
            else:
                ix = whoosh_index.open_dir(str(folder))
            _write(ix, work, incremental=base is not None, progress=progress)
            ix.close()
            generations.write_manifest(folder, _manifest(articles, work.hashes))
        published = generations.current_generation(index_dir)
        generations.remove_leftovers(index_dir)
    return BuildReport(
        articles=len(articles), passages=_count_passages(articles),
        added=len(work.added), updated=len(work.updated), removed=len(work.removed),
        seconds=time.monotonic() - started, full=full or base is None,
        generation=published.name if published else None)


_PR_SET_PDEATHSIG = 1
_parallel_parent: int | None = None  # pid of a process running a parallel build


def _die_with_parent() -> None:
    """In a writer process forked for a parallel build: exit when the build
    process dies, even by SIGKILL, so no orphan keeps writing or holds the
    builder lock it inherited."""
    if _parallel_parent is None:
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: no parent-death signal
        return
    if os.getppid() != _parallel_parent:  # the parent died before prctl
        os._exit(1)


os.register_at_fork(after_in_child=_die_with_parent)


def _write(ix, work: Plan, *, incremental: bool, progress) -> None:
    global _parallel_parent
    many = len(work.added) + len(work.updated) >= PARALLEL_FROM
    procs = min(os.cpu_count() or 1, MAX_PROCS) if many else 1
    _parallel_parent = os.getpid() if procs > 1 else None
    # Several processes each write a segment; keeping the segments separate
    # (multisegment) skips a final single-process merge.
    writer = (ix.writer(procs=procs, multisegment=True, limitmb=WRITER_MEMORY_MB // procs)
              if procs > 1 else ix.writer(limitmb=WRITER_MEMORY_MB))
    try:
        if incremental:
            for article_id in work.removed:
                writer.delete_by_term("article_id", article_id)
            for article in work.updated:
                writer.delete_by_term("article_id", article.id)
        for article in (*work.added, *work.updated):
            for doc in passage_documents(article):
                writer.add_document(**doc)
            if progress:
                progress(1)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        _parallel_parent = None


def _manifest(articles: list[Article], hashes: dict[str, str]) -> dict:
    return {"format": MANIFEST_FORMAT,
            "articles": {a.id: {"hash": hashes[a.id], "title": a.title}
                         for a in articles}}


def _count_passages(articles: list[Article]) -> int:
    return sum(len(a.passages()) for a in articles)
