"""Bring the passage index in line with the articles.

Incremental by default: an article's content hash (kept in the generation's
manifest) says whether it was added, changed or removed, and only those
articles' passages are rewritten. ``full=True`` rebuilds from nothing. Either
way the work happens in a new generation (index/generations.py), published
only when complete.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index

from index import generations
from index.schema import passage_schema
from kb.article import Article

MANIFEST_FORMAT = 1
# Whoosh's writer buffers this much before flushing a segment.
WRITER_MEMORY_MB = 256


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
    """A hash of everything an article contributes to the index."""
    canonical = json.dumps(dataclasses.asdict(article), sort_keys=True,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
    for order, p in enumerate(article.passages()):
        yield {
            "id": p.id, "article_id": article.id, "kind": p.kind,
            "number": p.number, "order": order,
            "heading": p.heading, "body": p.body, "title": article.title,
            "url": p.url, "related": related,
            "vocab": " ".join((p.heading, p.body, article.title)),
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


def _write(ix, work: Plan, *, incremental: bool, progress) -> None:
    writer = ix.writer(limitmb=WRITER_MEMORY_MB)
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
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _manifest(articles: list[Article], hashes: dict[str, str]) -> dict:
    return {"format": MANIFEST_FORMAT,
            "articles": {a.id: {"hash": hashes[a.id], "title": a.title}
                         for a in articles}}


def _count_passages(articles: list[Article]) -> int:
    return sum(len(a.passages()) for a in articles)
