"""The engine's handle on an index folder: snapshots of its current
generation (index/reading/snapshot.py), for a request or a command.

Safe to share between threads: each thread reads through its own Whoosh
searcher (index/reading/searchers.py), and recent answers are kept per generation
and synonyms list (index/reading/cache.py). ``close()`` closes every searcher it
opened.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from index.reading.cache import ResponseCache
from index.understanding.query_plan import NO_SYNONYMS
from index.requests import SearchRequest
from index.results import ArticleEntry, SearchResponse, Topic
from index.reading.searchers import Searchers
from index.reading.snapshot import Snapshot

# Recent pages (a page's hits) and recent pools (a hundred passages'
# stored fields or more each), kept per generation. Full, 2,048 pages and
# 64 pools held 150 MB more than 512 and 16 in a worker answering MedQuAD's
# reader queries (2,500 distinct searches: 571 against 421 MB, still
# growing); the popular queries a cache answers fit in 512.
RESPONSE_CACHE_SIZE = 512
POOL_CACHE_SIZE = 16


class SearchIndex:
    """Snapshots of the current generation of ``index_dir``.

    ``synonyms`` is called once per snapshot and returns the synonyms list
    in force (the same object while it is unchanged, which keeps
    remembered answers valid). ``meaning=False`` searches by words only,
    even where the generation has passage vectors. ``warm_first`` (a
    server's) keeps the previous generation serving while a newly
    published one loads (index/reading/searchers.py).
    """

    def __init__(self, index_dir: Path,
                 synonyms: Callable[[], object] | None = None, *, meaning: bool = True,
                 warm_first: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self._meaning = meaning
        self._synonyms = synonyms or (lambda: NO_SYNONYMS)
        self._searchers = Searchers(self.index_dir, warm_first=warm_first, meaning=meaning)
        self._pages = ResponseCache(RESPONSE_CACHE_SIZE)
        self._pools = ResponseCache(POOL_CACHE_SIZE)

    def refresh(self) -> None:
        """Look for a newly published generation now, so that a server's
        searchers start loading it before a reader asks."""
        self._searchers.current()

    def snapshot(self) -> Snapshot:
        """The current generation, held until the snapshot is closed."""
        generation, searcher = self._searchers.acquire()
        synonyms = self._synonyms()
        version = (generation, synonyms)

        def remember(key, make):
            cache = self._pools if key[0] == "pool" else self._pages
            found = cache.get(version, key)
            if found is None:
                found = make()
                cache.put(version, key, found)
            return found
        return Snapshot(generation, searcher, synonyms, meaning=self._meaning,
                        remember=remember, release=self._searchers.release)

    def close(self) -> None:
        self._searchers.close()

    # One question on a snapshot of its own, for callers that ask one
    # (tests, benchmarks); a page asks all of its questions of one snapshot.

    def search(self, request: SearchRequest | str, **options) -> SearchResponse:
        with self.snapshot() as snapshot:
            return snapshot.search(request, **options)

    def marked_terms(self, query: str) -> frozenset[str]:
        with self.snapshot() as snapshot:
            return snapshot.marked_terms(query)

    def filters(self) -> tuple[tuple[str, str, int], ...]:
        with self.snapshot() as snapshot:
            return snapshot.filters()

    def articles(self) -> list[ArticleEntry]:
        with self.snapshot() as snapshot:
            return snapshot.articles()

    def topic(self, title: str, article_id: str | None = None) -> Topic:
        with self.snapshot() as snapshot:
            return snapshot.topic(title, article_id)

    def suggest(self, prefix: str, limit: int = 8) -> list:
        with self.snapshot() as snapshot:
            return snapshot.suggest(prefix, limit)
