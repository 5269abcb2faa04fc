"""The open generation of an index folder and one Whoosh searcher per thread.

Whoosh searchers hold open files and are not thread-safe: each thread gets
its own, reopened when `kb index` publishes a new generation, and
``close()`` closes every one (Whoosh's threads.rst).

A server's searchers (``warm_first``) move to a newly published
generation only once it is loaded: the first search of a MedQuAD
generation reads its scoring arrays, vectors, vector rows and title table,
2-3 s that readers would otherwise wait for. Meanwhile the previous
generation serves (the build keeps it, generations.KEEP_PREVIOUS), so a
reader sees the new one a few seconds after it is published, and never
waits for it.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
from whoosh import scoring

from index import generations
from index.understanding import spelling
from index.understanding.analysis import terms as analyse
from index.ranking.facets import FacetColumns
from index.understanding.query_plan import PASSAGE_FIELDS
from kb.errors import SearchIndexError

log = logging.getLogger(__name__)
T = TypeVar("T")

# The fields of a manifest's article entry that readers use.
_READ_KEYS = ("title", "passages", "source_url", "answered")
# Unknown words whose corrections a generation keeps.
CORRECTIONS_KEPT = 20_000


class Generation:
    """One published generation, opened read-only, with its manifest.

    Its derived parts (passage vectors, scoring arrays, suggestion table)
    open on first use, each through ``_part``: once per generation, and a
    part that is missing or unreadable is logged once and left out (the
    search goes on without it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        manifest = generations.read_manifest(path)
        self.ix = generations.open_generation(path, manifest=manifest)  # damage: SearchIndexError
        # What readers ask of each article (the list of articles, related
        # topics); the rest of an entry is the builder's. MedQuAD's
        # entries: 9 MB in memory whole, 3 MB cut down.
        self.manifest: dict[str, dict] = {
            article_id: {key: entry[key] for key in _READ_KEYS if key in entry}
            for article_id, entry in manifest.get("articles", {}).items()}
        self.titles = {aid: entry["title"] for aid, entry in self.manifest.items()}
        self.facet_columns = FacetColumns()
        self._findable: dict[str, bool] = {}
        self._corrections: dict[str, tuple[str, ...]] = {}
        self._parts: dict[str, object] = {}
        self._lock = threading.Lock()
        # A title several articles share names the first that answers.
        self.ids_by_title: dict[str, str] = {}
        for article_id, title in sorted(self.titles.items(),
                                        key=lambda item: (not self.answers(item[0]), item[0])):
            self.ids_by_title.setdefault(title.casefold(), article_id)

    def _part(self, name: str, load: Callable[[], T]) -> T | None:
        """The part ``name``, made by ``load()`` on first use."""
        try:
            return self._parts[name]
        except KeyError:
            pass
        with self._lock:
            if name not in self._parts:
                try:
                    self._parts[name] = load()
                except (OSError, ValueError, KeyError, TypeError):
                    log.exception("%s: unreadable %s; searching without it", self.path, name)
                    self._parts[name] = None
            return self._parts[name]

    @property
    def dense(self):
        """The passage vectors (index/meaning/dense.py); None when it has none
        (built without the model)."""
        from index.meaning.dense import DenseIndex

        return self._part("passage vectors", lambda: DenseIndex.open(self.path))

    def impacts(self, reader):
        """The BM25F arrays (index/ranking/impacts.py), memory-mapped; None for a
        generation built before they existed, or whose arrays are damaged
        (Whoosh then scores alone). Every searcher of a generation numbers
        its documents alike, so one set serves every thread."""
        from index.ranking.impacts import Impacts

        return self._part("scoring arrays", lambda: Impacts.open(self.path, reader))

    def passage_terms(self, reader):
        """Each passage's terms for re-ranking (index/ranking/passage_terms.py),
        memory-mapped; None for a generation built before they existed, or
        whose files are damaged (re-ranking then analyses stored text)."""
        from index.ranking.passage_terms import PassageTerms

        return self._part("passage terms", lambda: PassageTerms.open(self.path, reader))

    @property
    def title_table(self):
        """Every article title by its index terms (index/understanding/understanding.py)."""
        from index.understanding.understanding import TitleTable

        return self._part("title table", lambda: TitleTable(self.titles.values()))

    @property
    def suggestions(self):
        """The search box's completions (index/reading/suggest.py)."""
        from index.reading.suggest import load_table

        return self._part("suggestion table", lambda: load_table(self.path, self.titles))

    def dense_rows(self, reader) -> tuple[np.ndarray, np.ndarray] | None:
        """For each row of the passage vectors, its Whoosh document number
        in this generation and whether it is an answered passage (not a
        question whose answer is only at its source); None without vectors.
        Read once per generation, from the passage ids the scoring arrays
        keep (index/meaning/dense.py)."""
        dense = self.dense
        if dense is None:
            return None
        impacts = self.impacts(reader)  # outside _part's lock: it takes it too
        return self._part("vector rows", lambda: dense.documents(reader, impacts))

    def load(self, reader, *, meaning: bool = True, suggestions: bool = False) -> None:
        """Open every part a search of this generation reads, with
        ``meaning`` the query model, and with ``suggestions`` the search
        box's completions too."""
        from index.meaning import fusion

        self.impacts(reader)
        self.passage_terms(reader)
        self.title_table
        if suggestions:
            self.suggestions
        dense = self.dense if meaning else None
        if dense is not None:
            self.dense_rows(reader)
            fusion.query_vector("health", dense.model)  # the model loads on its first query

    def corrections(self, word: str, reader) -> tuple[str, ...]:
        """Close spellings of an unknown word (index/understanding/spelling.py), kept for
        the generation's life: readers repeat their misspellings, and each
        first costs a walk of the vocabulary."""
        found = self._corrections.get(word)
        if found is None:
            found = tuple(spelling.corrections(word, reader, PASSAGE_FIELDS,
                                               self._part("vocabulary",
                                                          lambda: spelling.Vocabulary(reader))))
            with self._lock:
                if len(self._corrections) >= CORRECTIONS_KEPT:
                    self._corrections.pop(next(iter(self._corrections)))  # the oldest
                self._corrections[word] = found
        return found

    def article_for(self, title: str, article_id: str | None) -> str | None:
        """The indexed article a related topic names: its id when indexed,
        else the article of that title, else None."""
        if article_id in self.manifest:
            return article_id
        return self.ids_by_title.get(title.casefold())

    def answers(self, article_id: str) -> bool:
        """Whether any passage of the article answers in its own text (a
        generation built before the manifest said so: assumed)."""
        return self.manifest.get(article_id, {}).get("answered", 1) > 0

    def findable(self, title: str, reader) -> bool:
        """Whether every word of ``title`` is in some passage: a search for
        it then finds something on topic, never nothing."""
        found = self._findable.get(title)
        if found is None:
            words = analyse(title)
            found = bool(words) and all(
                any(reader.doc_frequency(f, t) for f in ("heading", "body")) for t in words)
            self._findable[title] = found
        return found


class Searchers:
    """The current generation of ``index_dir`` and a searcher per thread.

    With ``warm_first``, a newly published generation is loaded in a
    thread of its own (``Generation.load``) while the one before it goes on
    serving; without it (a command's one search, the tests), the next
    search opens it."""

    def __init__(self, index_dir: Path, *, warm_first: bool = False,
                 meaning: bool = True) -> None:
        self.index_dir = Path(index_dir)
        self.warm_first = warm_first
        self._meaning = meaning
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._warming: Path | None = None
        self._local = threading.local()
        self._open: list = []

    def current(self) -> Generation:
        path = generations.current_generation(self.index_dir)
        if path is None:
            raise SearchIndexError("there is no search index yet; run `kb index`",
                                   self.index_dir)
        with self._lock:
            serving = self._generation
            if serving is None or not self.warm_first or not serving.path.is_dir():
                # Nothing else to serve (the first, or a generation the
                # build has since removed): readers wait for this one.
                if serving is None or serving.path != path:
                    self._generation, self._warming = Generation(path), None
            elif serving.path != path and self._warming != path:
                self._warming = path
                threading.Thread(target=self._warm, args=(path,), daemon=True,
                                 name=f"kb-warm-{path.name}").start()
            return self._generation

    def _warm(self, path: Path) -> None:
        started = time.monotonic()
        try:
            generation = Generation(path)
            with generation.ix.searcher() as searcher:
                generation.load(searcher.reader(), meaning=self._meaning, suggestions=True)
        except Exception:  # a broken generation is the readers' to report
            log.exception("%s: could not load it ahead of the readers", path)
            with self._lock:
                self._warming = None
            return
        with self._lock:
            if self._warming == path:
                self._generation, self._warming = generation, None
        log.info("%s serves, loaded in %.1f s", path.name, time.monotonic() - started)

    def acquire(self) -> tuple[Generation, object]:
        """``(generation, searcher)`` of the calling thread, current, held
        until ``release(searcher)``: a thread's searcher of an older
        generation is closed once nothing holds it."""
        generation = self.current()
        local = self._local
        if not hasattr(local, "held"):
            local.held, local.generation, local.searcher = {}, None, None
        if local.generation is not generation:
            old = local.searcher
            searcher = generation.ix.searcher(weighting=scoring.BM25F())
            with self._lock:
                self._open.append(searcher)
            local.generation, local.searcher = generation, searcher
            if old is not None and not local.held.get(old):
                self._forget(old)
        local.held[local.searcher] = local.held.get(local.searcher, 0) + 1
        return local.generation, local.searcher

    def release(self, searcher) -> None:
        """Give back what ``acquire`` gave (in the thread it gave it to)."""
        held = self._local.held
        held[searcher] -= 1
        if not held[searcher]:
            del held[searcher]
            if searcher is not self._local.searcher:
                self._forget(searcher)

    def _forget(self, searcher) -> None:
        with self._lock:
            if searcher not in self._open:
                return  # close() has closed it; Whoosh refuses a second close
            self._open.remove(searcher)
        searcher.close()

    def close(self) -> None:
        """Close every searcher opened here (in any thread)."""
        with self._lock:
            searchers, self._open = self._open, []
            self._generation = None
        for s in searchers:
            s.close()
