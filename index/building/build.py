"""Bring the passage index in line with the articles.

Incremental by default: an article's content hash (kept in the generation's
manifest) says whether it was added, changed or removed, and only those
articles' passages are rewritten; a file whose size, time and inode are as
at the last build is not even read. ``full=True`` rebuilds from nothing. Either
way the work happens in a new generation (index/generations.py), published
only when complete.
"""
from __future__ import annotations

import hashlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh.multiproc import MpWriter, SubWriterTask

from index import generations
from index.building import impact_files, segment_parts, term_files
from index.meaning import vectors
from index.reading import suggest
from index.understanding.analysis import build_term_cache, vocabulary_words
from index.schema import passage_schema
from kb.article import Article
from kb.errors import KBError, SearchIndexError
from kb.files import stamp_or_none
from kb.processes import die_with_parent
from kb.sources import source_name
from kb.store import article_files, load_articles_whole

# Bumped whenever the schema or the analysis changes: a generation of
# another format is rebuilt in full, never updated in place.
MANIFEST_FORMAT = 4
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
    # Articles whose file has a problem, served as last indexed.
    kept: list[str] = field(default_factory=list)
    # Passage vectors of the published generation (None: none embedded).
    vectors: vectors.VectorReport | None = None
    lexical_only: bool = False   # built without a model: search matches words only

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
    """What a build must do, and the manifest entries it will publish.

    ``kept``: articles whose file has a problem now, published as last
    indexed (an incremental build leaves their passages in place, a full
    one copies them from the previous generation)."""
    added: list[Article]
    updated: list[Article]
    removed: list[str]
    entries: dict[str, dict]
    kept: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.updated or self.removed)

    @property
    def passages(self) -> int:
        return sum(e["passages"] for e in self.entries.values())


def _entry(article: Article, stamp: list[int] | None = None) -> dict:
    passages = article.passages()
    entry = {"hash": article_hash(article), "title": article.title,
             "passages": len(passages),
             # See also and the topic card prefer articles that answer.
             "answered": sum(p.answered for p in passages)}
    if article.source is not None and article.source.url:
        # The article list names the source of articles sharing a title.
        entry["source_url"] = article.source.url
    if stamp is not None:
        entry["stamp"] = stamp
    return entry


def _indexed(manifest: dict) -> dict[str, dict]:
    return manifest.get("articles", {}) if manifest.get("format") == MANIFEST_FORMAT else {}


def plan(articles: Iterable[Article], manifest: dict, *, full: bool = False) -> Plan:
    """Compare articles in hand with what a generation's manifest indexed
    (with ``full``, with nothing: every article is added)."""
    return _plan({} if full else _indexed(manifest), [(a, _entry(a)) for a in articles], {})


def _plan(indexed: dict[str, dict], loaded: list[tuple[Article, dict]],
          unread: dict[str, dict], kept: dict[str, dict] | None = None) -> Plan:
    """``loaded``: articles read now with their entries; ``unread``: entries
    carried over unread (files unchanged since the last build); ``kept``:
    entries of articles whose file has a problem."""
    kept = kept or {}
    added, updated, entries = [], [], {**unread, **kept}
    for article, entry in loaded:
        entries[article.id] = entry
        if article.id not in indexed:
            added.append(article)
        elif indexed[article.id]["hash"] != entry["hash"]:
            updated.append(article)
    removed = sorted(set(indexed) - set(entries))
    return Plan(added, updated, removed, entries, sorted(kept))


def plan_folder(kb_dir: Path, manifest: dict,
                on_problem: Callable[[KBError], None] | None = None, *,
                full: bool = False) -> Plan:
    """Plan from a knowledge-base folder, reading only files whose size,
    time or inode changed since the manifest's build: with thousands of
    articles, parsing every YAML file would dwarf the index update. With
    ``full`` every file is read and every article added.

    A file that cannot be read or is invalid (a dangling link, a file
    deleted meanwhile, a broken edit, one that kept changing while read) is
    reported through ``on_problem`` and its last indexed version, if any,
    stays in the index: one bad edit never takes an article out of search.
    Each article is indexed from a version read whole (see
    ``load_articles_whole``).
    """
    previous = _indexed(manifest)
    indexed = {} if full else previous
    unread, kept, to_read = {}, {}, []
    for path in article_files(kb_dir):
        old = previous.get(path.stem)
        stamp = stamp_or_none(path)
        if not full and old is not None and stamp is not None \
                and old.get("stamp") == list(stamp):
            unread[path.stem] = old
        else:
            to_read.append(path)
    loaded = []
    for read in load_articles_whole(to_read):
        if read.article is not None:
            loaded.append((read.article, _entry(read.article, list(read.stamp))))
            continue
        if on_problem:
            on_problem(read.problem)
        old = previous.get(read.path.stem)
        if old is not None:
            kept[read.path.stem] = old
    return _plan(indexed, loaded, unread, kept)


def index_status(kb_dir: Path, index_dir: Path) -> str:
    """'missing', 'stale' or 'current' (the index against the folder)."""
    generation = generations.current_generation(index_dir)
    if generation is None:
        return "missing"
    work = plan_folder(kb_dir, generations.read_manifest(generation))
    return "current" if work.empty else "stale"


def _vocabulary(texts: Iterable[str]) -> str:
    """An article's distinct words (its title, headings and bodies)."""
    return " ".join(sorted(set(vocabulary_words(" ".join(set(texts))))))


def passage_documents(article: Article) -> Iterable[dict]:
    """The index documents of one article's passages."""
    related = [[r.title, r.id] for r in article.related]
    source = article.source
    credit = source.credit if source else None
    credit_url = source.url if source and source.credit else None
    passages = article.passages()
    vocabulary = _vocabulary([article.title, *(p.heading for p in passages),
                              *(p.body for p in passages)])
    for order, p in enumerate(passages):
        yield {
            "id": p.id, "article_id": article.id, "kind": p.kind,
            "number": p.number, "order": order,
            # An intro or conclusion stands under the article's title: it is
            # the passage that answers a query about the article as a whole.
            "heading": p.heading or article.title, "body": p.body, "title": article.title,
            "url": p.url, "related": related, "credit": credit, "credit_url": credit_url,
            "publisher": source_name(p.url or (source.url if source else None)),
            **({"qtype": p.qtype} if p.qtype else {}),
            "vocab": vocabulary if order == 0 else "",
        }


def build_index(articles: list[Article], index_dir: Path, *,
                model: vectors.PassageModel | None, full: bool = False,
                progress: Callable[[int], None] | None = None,
                lock_wait: float = 3.0) -> BuildReport:
    """Publish a generation holding exactly ``articles``.

    ``model`` embeds the passages (index/meaning/vectors.py; None: a lexical-only
    generation). ``progress(n)`` is called with the number of articles
    just written. Raises SearchIndexError when another build holds the lock.
    """
    return _build(Path(index_dir), lambda manifest: plan(articles, manifest, full=full),
                  model=model, full=full, progress=progress, lock_wait=lock_wait)


def sync_index(kb_dir: Path, index_dir: Path, *,
               model: vectors.PassageModel | None, full: bool = False,
               progress: Callable[[int], None] | None = None,
               on_problem: Callable[[KBError], None] | None = None,
               on_plan: Callable[[Plan], None] | None = None,
               embed_progress: vectors.Progress | None = None,
               lock_wait: float = 3.0) -> BuildReport:
    """Bring the index in line with a knowledge-base folder (see plan_folder).

    ``model`` as for build_index; ``on_plan`` sees the plan before writing
    starts (to size a progress bar); ``embed_progress(done, total)``
    follows the embedding of passages.
    """
    def make_plan(manifest: dict) -> Plan:
        work = plan_folder(Path(kb_dir), manifest, on_problem, full=full)
        if on_plan:
            on_plan(work)
        return work
    return _build(Path(index_dir), make_plan, model=model, full=full, progress=progress,
                  lock_wait=lock_wait, embed_progress=embed_progress)


def _previous(index_dir: Path, full: bool) -> Path | None:
    """The generation a build starts from; for a full build, the one it may
    copy kept articles from, unless it is the damage being rebuilt."""
    if not full:
        return generations.current_generation(index_dir)
    try:
        return generations.current_generation(index_dir)
    except SearchIndexError:
        return None


def _build(index_dir: Path, make_plan: Callable[[dict], Plan], *,
           model: vectors.PassageModel | None, full: bool,
           progress, lock_wait: float, embed_progress=None) -> BuildReport:
    started = time.monotonic()
    with generations.builder_lock(index_dir, lock_wait):
        previous = _previous(index_dir, full)
        generations.remove_leftovers(index_dir, previous)
        try:
            manifest = generations.read_manifest(previous)
        except SearchIndexError:
            if not full:
                raise
            manifest = {}
        base = _base(previous, manifest, full)
        # Every file carried forward is verified before Whoosh reads it:
        # damage in the current generation stops the build here (naming
        # `kb index --full`) rather than pass into the next one.
        base_files = generations.verify(base, manifest) if base is not None else {}
        work = make_plan(manifest)
        carried = _carried(previous, manifest, work) if base is None else None
        report = BuildReport(articles=len(work.entries), passages=work.passages,
                             added=len(work.added), updated=len(work.updated),
                             removed=len(work.removed), seconds=0.0,
                             full=base is None, generation=None, kept=work.kept)
        if base is not None and work.empty and not vectors.needs_vectors(base, model):
            if work.entries != _indexed(manifest):
                # Only file times changed: remember them, so the next build
                # need not read those files again. Readers ignore stamps.
                generations.write_manifest(base, {**manifest, **_manifest(work.entries)})
        else:
            with generations.building(index_dir, base, base_files) as gen:
                ix = _write_generation(gen, base, work, carried, progress,
                                       base_titles={aid: e["title"] for aid, e in
                                                    _indexed(manifest).items()})
                # Passage vectors (index/meaning/vectors.py), reused from the current
                # generation by text hash even in a full rebuild.
                report.vectors = vectors.add_to_generation(
                    gen, previous=base or _vectors_source(previous, manifest),
                    articles=work.entries,
                    changed=(*work.added, *work.updated), index=ix, model=model,
                    progress=embed_progress)
                ix.close()
                gen.put_manifest(_manifest(work.entries))
            report.generation = gen.published.name
            generations.remove_leftovers(index_dir, gen.published)
        served = gen.published if report.generation else base
        report.lexical_only = model is None and not (
            served is not None and (served / generations.VECTORS).exists())
    report.seconds = time.monotonic() - started
    return report


def _base(previous: Path | None, manifest: dict, full: bool) -> Path | None:
    """The generation an incremental build links its files from: none for
    a full build, for one of another schema or analysis, or for one whose
    manifest records no checksums to verify its files by."""
    if full or previous is None or manifest.get("format") != MANIFEST_FORMAT \
            or generations.recorded_files(manifest) is None:
        return None
    return previous


def _write_generation(gen: generations.GenerationWriter, base: Path | None, work: Plan,
                      carried: list[dict] | None, progress, base_titles: dict[str, str]):
    """Write the segments (Whoosh's writer), the suggestion table and the
    scoring arrays of the generation ``gen`` builds; returns its Whoosh
    index, still open for the vectors. ``base_titles``: the titles the
    previous generation indexed, by article id."""
    if base is None:
        ix = whoosh_index.create_in(str(gen.folder), passage_schema())
    else:
        ix = generations.open_generation(gen.folder, writable=True, known_as=base)
    with build_term_cache():
        _write(ix, work, incremental=base is not None, progress=progress, carried=carried)
    with ix.reader() as reader:
        suggest.publish(gen, base, [e["title"] for e in work.entries.values()],
                        [*work.added, *work.updated], work.removed,
                        lambda: suggest.headings_from_reader(reader), base_titles)
        # The scoring arrays and passage terms are published with the
        # segments they come from (index/building/segment_parts.py).
        segment_parts.write_missing(gen, reader, (impact_files.PART, term_files.PART))
    return ix


def _vectors_source(previous: Path | None, manifest: dict) -> Path | None:
    """For a full build: the generation whose unchanged vectors it reuses,
    the previous one, unless its vector files fail their checksums."""
    if previous is None:
        return None
    try:
        generations.verify(previous, manifest,
                           wanted=lambda name: name in (generations.VECTORS,
                                                        generations.VECTOR_IDS))
    except SearchIndexError:
        return None
    return previous


def _carried(previous: Path | None, manifest: dict, work: Plan) -> list[dict]:
    """For a full build: the documents of the kept articles, as the
    previous generation stored them. An article the previous generation
    cannot give back (none, or damaged) leaves the index."""
    docs: list[dict] = []
    if not work.kept:
        return docs
    try:
        if previous is None:
            raise SearchIndexError("no previous generation")
        generations.verify(previous, manifest,
                           wanted=lambda name: not generations.is_derived(name))
        ix = generations.open_generation(previous)
        with generations.damage_named(previous), ix.searcher() as searcher:
            for article_id in work.kept:
                found = sorted(searcher.documents(article_id=article_id),
                               key=lambda d: d["order"])
                vocabulary = _vocabulary(t for d in found for t in (d["heading"], d["body"],
                                                                    d["title"]))
                docs += [{**d, "vocab": vocabulary if d["order"] == 0 else ""} for d in found]
        ix.close()
    except SearchIndexError:
        for article_id in work.kept:
            work.entries.pop(article_id, None)
        work.kept.clear()
        return []
    return docs


class _WriterProcess(SubWriterTask):
    """One of a parallel build's writer processes: it exits when the build
    process dies, even by SIGKILL (kb/processes.py), so a killed build
    leaves no writer behind."""

    def __init__(self, *args, build_pid: int) -> None:
        super().__init__(*args)
        self.build_pid = build_pid

    def run(self) -> None:  # in the forked process
        if not die_with_parent(signal.SIGKILL, self.build_pid):
            os._exit(1)
        super().run()


class _ParallelWriter(MpWriter):
    """Whoosh's writer over several processes, each a _WriterProcess."""

    def _new_task(self) -> _WriterProcess:
        task = _WriterProcess(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                              self.subargs, self.multisegment, build_pid=os.getpid())
        self.tasks.append(task)
        task.start()
        return task


def _write(ix, work: Plan, *, incremental: bool, progress,
           carried: list[dict] | None = None) -> None:
    many = len(work.added) + len(work.updated) >= PARALLEL_FROM
    procs = min(os.cpu_count() or 1, MAX_PROCS) if many else 1
    # Several processes each write a segment; keeping the segments separate
    # (multisegment) skips a final single-process merge.
    # Segments stay separate files, not one compound file: a reader of a
    # compound file copies each part it opens (postings, stored fields)
    # into a private buffer, per searcher, so every thread of every worker
    # held its own copy of the index. Separate files are read through the
    # page cache, which all workers share.
    options = {"limitmb": WRITER_MEMORY_MB, "compound": False}
    writer = (_ParallelWriter(ix, procs=procs, multisegment=True, **options)
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
        for doc in carried or ():
            writer.add_document(**doc)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def _manifest(entries: dict[str, dict]) -> dict:
    return {"format": MANIFEST_FORMAT, "articles": entries}
