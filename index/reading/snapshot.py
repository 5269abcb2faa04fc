"""One generation, read-only, as one request or one command sees it.

A front end takes a snapshot (``SearchIndex.snapshot()``) and asks it
everything a page needs — the pool, its hits, the filters, the suggestions,
the article list — so one page never mixes two generations, however many
`kb index` publishes meanwhile. The site pins one on each request and
closes it on teardown (webapp/search.py); a command takes one.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Iterable, TypeVar

from index.generations import damage_named
from index.ranking import highlight, rerank
from index.ranking import hits as hits_of
from index.ranking import pool as pools
from index.reading.searchers import Generation
from index.requests import PoolRequest, SearchRequest
from index.results import (ArticleEntry, Hit, Pool, Ranked, SearchResponse, Topic,
                           TopicCard)
from index.schema import SEARCH_FIELDS
from index.understanding import topics
from index.understanding.analysis import terms as analyse
from index.understanding.topic_names import topic_key

T = TypeVar("T")


class Snapshot:
    """What a search can ask of one generation (see the module docstring).

    ``release`` is called once, by ``close()``, with the searcher it was
    given; use the snapshot as a context manager or close it."""

    def __init__(self, generation: Generation, searcher, synonyms, *, meaning: bool,
                 remember: Callable[[tuple, Callable[[], T]], T],
                 release: Callable[[object], None]) -> None:
        self.generation = generation
        self._searcher = searcher
        self._synonyms = synonyms
        self._meaning = meaning
        self._remember = remember
        self._release = release

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release(self._searcher)

    @property
    def name(self) -> str:
        """The generation's folder name (gen-000042)."""
        return self.generation.path.name

    def load(self) -> None:
        """Load what a search of this generation reads (the scoring arrays,
        the passage terms, the passage vectors and their rows, the query
        model), so that a command's one search is timed alone, as on a
        warmed server."""
        self.generation.load(self._searcher.reader(), meaning=self._meaning)

    def remember(self, key: tuple, make: Callable[[], T]) -> T:
        """``make()``, or what it gave for ``key`` before with this
        generation and synonyms list (index/reading/cache.py). ``key[0]`` names
        what is kept: "pool" (few are kept: they are large) or a page."""
        return self._remember(key, make)

    def pool(self, request: PoolRequest | str) -> Pool:
        """The ranked, counted pool ``request`` asks for (index/ranking/pool.py)."""
        if isinstance(request, str):
            request = PoolRequest(request)
        def find() -> Pool:
            with damage_named(self.generation.path):
                return pools.find(request, self._searcher, self.generation, self._synonyms,
                                  meaning=self._meaning)
        return self.remember(("pool", request), find)

    def hits(self, entries: Iterable[Ranked], marked: frozenset[str]) -> tuple[Hit, ...]:
        """``entries`` of a pool as Hits, ``marked`` marked in their texts."""
        reader = self._searcher.reader()
        return tuple(hits_of.hit(e, marked, self.generation, reader) for e in entries)

    def search(self, request: SearchRequest | str, **options) -> SearchResponse:
        """One page of the flat ranking (a SearchRequest, or a query string
        with SearchRequest's other fields as keywords)."""
        if isinstance(request, str):
            request = SearchRequest(request, **options)
        started = time.perf_counter()
        response = self.remember(("page", request), lambda: self._page(request))
        return replace(response, took_ms=round((time.perf_counter() - started) * 1000, 2))

    def _page(self, request: SearchRequest) -> SearchResponse:
        found = self.pool(request.pool())
        entries = list(found.ranked)
        if request.per_article:
            entries = rerank.cap_per_article(entries, request.per_article)
        shown = entries[(request.page - 1) * request.per_page:request.page * request.per_page]
        return response_of(found, request.page, request.per_page,
                           hits=self.hits(shown, found.marked_terms),
                           topic=self.topic_card(found) if request.page == 1 else None)

    def topic_card(self, found: Pool) -> TopicCard | None:
        """The card of the first topic ``found``'s query names that answers
        (else of the first it names; None when it names none): index/understanding/topics.py."""
        reader = self._searcher.reader()

        def definition(fields: dict) -> Hit:
            made = hits_of.hit(Ranked(0.0, fields), found.marked_terms, self.generation, reader)
            return replace(made, snippet=highlight.opening(fields.get("body") or "",
                                                          found.marked_terms))
        cards = []
        for topic in found.topics:
            with damage_named(self.generation.path):
                passages = {aid: sorted(self._searcher.documents(article_id=aid),
                                        key=lambda f: f["order"]) for aid in topic.article_ids}
            cards.append(topics.card(topic, passages, definition))
            if cards[-1].answered:
                return cards[-1]  # a topic that answers before one that only links out
        return cards[0] if cards else None

    def knows(self, word: str) -> bool:
        """Whether some passage has ``word`` (as the index analyses it)."""
        reader = self._searcher.reader()
        found = analyse(word)
        return bool(found) and all(any(reader.doc_frequency(field, term) for field in
                                       SEARCH_FIELDS) for term in found)

    def begins_a_word(self, prefix: str) -> bool:
        """Whether some word of the passages begins with ``prefix`` (as the
        index keeps it: lower case, stemmed): one still being typed."""
        reader, start = self._searcher.reader(), prefix.casefold()
        return any(next(iter(reader.expand_prefix(field, start)), None) is not None
                   for field in SEARCH_FIELDS)

    def topic_key(self, title: str) -> str:
        """One key for a title and every title synonymous with it: articles
        with one key are one topic (index/understanding/topic_names.py)."""
        return topic_key(title, self._synonyms)

    def marked_terms(self, query: str) -> frozenset[str]:
        """The index terms a search for ``query`` marks (its words, their
        synonyms and corrections), for pages that show a whole passage."""
        with damage_named(self.generation.path):
            return pools.marked_terms(query, self._searcher, self.generation, self._synonyms)

    def filters(self) -> tuple[tuple[str, str, int], ...]:
        """Every question type (or, without any, every kind) of passage the
        generation has, with counts: what a query can be narrowed to."""
        reader, columns = self._searcher.reader(), self.generation.facet_columns
        field = "qtype" if columns.present(reader, "qtype") else "kind"
        return tuple((field, value, n) for value, n in columns.present(reader, field))

    def articles(self) -> list[ArticleEntry]:
        """Every indexed article, by title; read from the generation's
        manifest, so listing ten thousand articles costs no file reads."""
        manifest = self.generation.manifest
        return [ArticleEntry(aid, entry["title"], entry["passages"], entry.get("source_url"))
                for aid, entry in sorted(manifest.items(),
                                         key=lambda item: (item[1]["title"].casefold(), item[0]))]

    def topic(self, title: str, article_id: str | None = None) -> Topic:
        """A related topic, naming its article when the index has it."""
        return hits_of.topic(title, article_id, self.generation, self._searcher.reader())

    def suggest(self, prefix: str, limit: int = 8) -> list:
        """Titles, fact headings and questions that ``prefix`` begins a word
        of, best first, as index/reading/suggest.py's Suggestion values; for an
        empty prefix, the topics most articles share (examples to try)."""
        from index.reading.suggest import Suggestion

        table = self.generation.suggestions
        if table is None:
            return []
        if not prefix.strip():
            return [Suggestion(text, "topic") for text in table.examples(limit)]
        return table.suggest(prefix, limit)


def response_of(found: Pool, page: int, per_page: int, **shown) -> SearchResponse:
    """A page of ``found`` as a SearchResponse; ``shown``: its hits or groups,
    and any count the page makes its own."""
    return SearchResponse(
        found.query, page, per_page, total=shown.pop("total", found.total),
        total_is_estimate=shown.pop("total_is_estimate", found.total_is_estimate),
        corrected=found.corrected, correction_applied=found.correction_applied,
        empty_reason=found.empty_reason, marked_terms=found.marked_terms,
        ignored=found.ignored, explained=found.explained, **shown)

