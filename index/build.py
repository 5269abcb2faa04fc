"""Bring the passage index in line with the articles.

Incremental by default: an article's content hash (kept in the generation's
manifest) says whether it was added, changed or removed, and only those
articles' passages are rewritten; a file whose size, time and inode are as
at the last build is not even read. ``full=True`` rebuilds from nothing. Either
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

from index import generations, impacts
from index.analysis import unbounded_term_cache, vocabulary_words
from index.schema import passage_schema
from kb.article import Article
from kb.publishers import publisher
from kb.errors import KBError
from kb.store import article_files, load_article

MANIFEST_FORMAT = 1
# What each writer process buffers before spilling sorted postings to disk.
# Whoosh pickles every posting of a spilled run out and back in; MedQuAD's
# segments (1.5 million postings each, about 300 MB by Whoosh's estimate)
# then stay in memory.
WRITER_MEMORY_MB = 1024
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
    """What a build must do, and the manifest entries it will publish."""
    added: list[Article]
    updated: list[Article]
    removed: list[str]
    entries: dict[str, dict]

    @property
    def empty(self) -> bool:
        return not (self.added or self.updated or self.removed)

    @property
    def passages(self) -> int:
        return sum(e["passages"] for e in self.entries.values())


def _entry(article: Article, stamp: list[int] | None = None) -> dict:
    entry = {"hash": article_hash(article), "title": article.title,
             "passages": len(article.passages())}
    if stamp is not None:
        entry["stamp"] = stamp
    return entry


def _indexed(manifest: dict) -> dict[str, dict]:
    return manifest.get("articles", {}) if manifest.get("format") == MANIFEST_FORMAT else {}


def plan(articles: Iterable[Article], manifest: dict) -> Plan:
    """Compare articles in hand with what a generation's manifest indexed."""
    return _plan(_indexed(manifest), [(a, _entry(a)) for a in articles], {})


def _plan(indexed: dict[str, dict], loaded: list[tuple[Article, dict]],
          kept: dict[str, dict]) -> Plan:
    """``loaded``: articles read now with their entries; ``kept``: entries
    carried over unread (files unchanged since the last build)."""
    added, updated, entries = [], [], dict(kept)
    for article, entry in loaded:
        entries[article.id] = entry
        if article.id not in indexed:
            added.append(article)
        elif indexed[article.id]["hash"] != entry["hash"]:
            updated.append(article)
    removed = sorted(set(indexed) - set(entries))
    return Plan(added, updated, removed, entries)


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def plan_folder(kb_dir: Path, manifest: dict,
                on_problem: Callable[[KBError], None] | None = None) -> Plan:
    """Plan from a knowledge-base folder, reading only files whose size,
    time or inode changed since the manifest's build: with thousands of
    articles, parsing every YAML file would dwarf the index update.

    An invalid file is reported through ``on_problem`` and its last indexed
    version, if any, stays in the index: one bad edit never takes an
    article out of search.
    """
    indexed = _indexed(manifest)
    loaded, kept = [], {}
    for path in article_files(kb_dir):
        article_id, stamp = path.stem, _stamp(path)
        old = indexed.get(article_id)
        if old is not None and old.get("stamp") == stamp:
            kept[article_id] = old
            continue
        try:
            article = load_article(path)
        except KBError as problem:
            if on_problem:
                on_problem(problem)
            if old is not None:
                kept[article_id] = old
            continue
        loaded.append((article, _entry(article, stamp)))
    return _plan(indexed, loaded, kept)


def index_status(kb_dir: Path, index_dir: Path) -> str:
    """'missing', 'stale' or 'current' (the index against the folder)."""
    generation = generations.current_generation(index_dir)
    if generation is None:
        return "missing"
    work = plan_folder(kb_dir, generations.read_manifest(generation))
    return "current" if work.empty else "stale"


def passage_documents(article: Article) -> Iterable[dict]:
    """The index documents of one article's passages."""
    related = [[r.title, r.id] for r in article.related]
    source = article.source
    credit = source.credit if source else None
    credit_url = source.url if source and source.credit else None
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
            "url": p.url, "related": related, "credit": credit, "credit_url": credit_url,
            "publisher": publisher(p.url or (source.url if source else None)),
            **({"qtype": p.qtype} if p.qtype else {}),
            "vocab": vocabulary if order == 0 else "",
        }


def build_index(articles: list[Article], index_dir: Path, *, full: bool = False,
                progress: Callable[[int], None] | None = None,
                lock_wait: float = 3.0) -> BuildReport:
    """Publish a generation holding exactly ``articles``.

    ``progress(n)`` is called with the number of articles just written.
    Raises SearchIndexError when another build holds the lock.
    """
    return _build(Path(index_dir), lambda manifest: plan(articles, manifest),
                  full=full, progress=progress, lock_wait=lock_wait)


def sync_index(kb_dir: Path, index_dir: Path, *, full: bool = False,
               progress: Callable[[int], None] | None = None,
               on_problem: Callable[[KBError], None] | None = None,
               on_plan: Callable[[Plan], None] | None = None,
               lock_wait: float = 3.0) -> BuildReport:
    """Bring the index in line with a knowledge-base folder (see plan_folder).

    ``on_plan`` sees the plan before writing starts (to size a progress bar).
    """
    def make_plan(manifest: dict) -> Plan:
        work = plan_folder(Path(kb_dir), manifest, on_problem)
        if on_plan:
            on_plan(work)
        return work
    return _build(Path(index_dir), make_plan, full=full, progress=progress,
                  lock_wait=lock_wait)


def _build(index_dir: Path, make_plan: Callable[[dict], Plan], *, full: bool,
           progress, lock_wait: float) -> BuildReport:
    started = time.monotonic()
    with generations.builder_lock(index_dir, lock_wait):
        generations.remove_leftovers(index_dir)
        base = None if full else generations.current_generation(index_dir)
        manifest = generations.read_manifest(base)
        work = make_plan(manifest)
        report = BuildReport(articles=len(work.entries), passages=work.passages,
                             added=len(work.added), updated=len(work.updated),
                             removed=len(work.removed), seconds=0.0,
                             full=base is None, generation=None)
        if base is not None and work.empty:
            if work.entries != _indexed(manifest):
                # Only file times changed: remember them, so the next build
                # need not read those files again. Readers ignore stamps.
                generations.write_manifest(base, _manifest(work.entries))
        else:
            with generations.new_generation(index_dir, base) as folder:
                if base is None:
                    ix = whoosh_index.create_in(str(folder), passage_schema())
                else:
                    ix = whoosh_index.open_dir(str(folder))
                with unbounded_term_cache():
                    _write(ix, work, incremental=base is not None, progress=progress)
                ix.close()
                # Derived scoring arrays are published with the segments they
                # come from (index/impacts.py).
                impacts.write_missing(folder)
                generations.write_manifest(folder, _manifest(work.entries))
            report.generation = generations.current_generation(index_dir).name
            generations.remove_leftovers(index_dir)
    report.seconds = time.monotonic() - started
    return report


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
    # Segments stay separate files, not one compound file: a reader of a
    # compound file copies each part it opens (postings, stored fields)
    # into a private buffer, per searcher, so every thread of every worker
    # held its own copy of the index. Separate files are read through the
    # page cache, which all workers share.
    options = {"limitmb": WRITER_MEMORY_MB, "compound": False}
    writer = (ix.writer(procs=procs, multisegment=True, **options)
              if procs > 1 else ix.writer(**options))
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


def _manifest(entries: dict[str, dict]) -> dict:
    return {"format": MANIFEST_FORMAT, "articles": entries}
