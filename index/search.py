"""A query in, ranked passages out, as frozen values (index/results.py).

The pool is found by one flat OR of weighted terms (index/query_plan.py),
ranked by BM25F over every searched field with its boost; the best-scored
pool is re-ranked (index/rerank.py) by the share of concepts each passage
matches and the query's neighbouring words standing together.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from whoosh.query import Term

from index import highlight, rerank
from index.cache import ResponseCache
from index.query import parse_query
from index.query_plan import NO_SYNONYMS, plan
from index.results import (EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, ArticleEntry, Hit,
                           SearchResponse, Topic)
from index.searchers import Generation, Searchers
from kb.article import PASSAGE_KINDS
from kb.errors import QueryError

MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 10
# Like Elasticsearch's max_result_window: no request ranks deeper than this,
# so the pool a search sorts never grows with the page number.
MAX_RESULT_WINDOW = 1000
MAX_PAGE = MAX_RESULT_WINDOW
RESPONSE_CACHE_SIZE = 2048
RERANK_POOL = 30


@dataclass(frozen=True)
class SearchRequest:
    """What a reader asked for; checked once, here, for every front end.

    ``per_article`` caps how many passages of one article the ranking shows
    before other articles' passages (with thousands of articles, one
    article's questions can otherwise fill a page); None keeps the flat
    ranking. ``clamp_page`` answers a page past the end with the last page.
    """
    query: str
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    kind: str | None = None
    per_article: int | None = None
    clamp_page: bool = False

    def __post_init__(self) -> None:
        if self.per_article is not None and not 1 <= self.per_article <= MAX_PER_PAGE:
            raise QueryError(f"per_article must be a whole number from 1 to {MAX_PER_PAGE}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")
        if not 1 <= self.page <= MAX_PAGE:
            raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise QueryError(f"page × per_page must be at most {MAX_RESULT_WINDOW} "
                             "(results are ranked that deep at most)")
        if self.kind is not None and self.kind not in PASSAGE_KINDS:
            raise QueryError(f"kind must be one of {', '.join(PASSAGE_KINDS)}")


class SearchIndex:
    """Searches the current generation of an index folder.

    Safe to share between threads (see index/searchers.py); ``close()``
    closes every searcher it opened. ``synonyms`` is called once per search
    and returns the synonyms list in force (the same object while it is
    unchanged, which keeps cached responses valid).
    """

    def __init__(self, index_dir: Path,
                 synonyms: Callable[[], object] | None = None) -> None:
        self.index_dir = Path(index_dir)
        self._synonyms = synonyms or (lambda: NO_SYNONYMS)
        self._searchers = Searchers(self.index_dir)
        self._cache = ResponseCache(RESPONSE_CACHE_SIZE)

    def close(self) -> None:
        self._searchers.close()

    def search(self, request: SearchRequest | str, **options) -> SearchResponse:
        """The ranked passages for ``request`` (a SearchRequest, or a query
        string with SearchRequest's other fields as keywords)."""
        if isinstance(request, str):
            request = SearchRequest(request, **options)
        started = time.perf_counter()
        parsed = parse_query(request.query)
        if parsed.empty:
            response = SearchResponse(parsed.text, request.page, request.per_page,
                                      empty_reason=EMPTY_QUERY)
        else:
            generation, searcher = self._searchers.searcher()
            synonyms = self._synonyms()
            key = replace(request, query=parsed.text)
            response = self._cache.get((generation, synonyms), key)
            if response is None:
                response = self._run(searcher, generation, synonyms, parsed, key)
                self._cache.put((generation, synonyms), key, response)
        return replace(response, took_ms=round((time.perf_counter() - started) * 1000, 2))

    def _run(self, searcher, generation: Generation, synonyms, parsed,
             request: SearchRequest) -> SearchResponse:
        reader = searcher.reader()
        work = plan(parsed, reader, synonyms)
        base = SearchResponse(parsed.text, request.page, request.per_page,
                              corrected=work.corrected,
                              correction_applied=work.correction_applied,
                              marked_terms=work.marked)
        if work.query is None:
            return replace(base, corrected=None, correction_applied=False,
                           empty_reason=UNKNOWN_WORDS)
        kind_filter = Term("kind", request.kind) if request.kind else None
        # Whoosh ranks a pool by BM25F, skipping passages that cannot reach
        # it; index/rerank.py then re-orders the pool.
        pool = max(RERANK_POOL, request.page * request.per_page)
        results = searcher.search(work.query, limit=pool, filter=kind_filter, mask=work.mask)
        found = results.scored_length()
        if found < pool:
            total, estimate = found, False
        else:
            # Counting tens of thousands of matches would cost more than the
            # search: report the lower bound the index knows without counting.
            total, estimate = max(work.query.estimate_min_size(reader), found), True
        # Not list(results): list() asks len() first, which counts every match.
        ranked = rerank.rank([(results[i].score, results[i].fields()) for i in range(found)],
                             work.concepts)
        if not ranked:
            return replace(base, empty_reason=NO_MATCH)
        if request.per_article:
            ranked = rerank.cap_per_article(ranked, request.per_article)
        page = request.page
        if request.clamp_page and (page - 1) * request.per_page >= len(ranked):
            page = -(-len(ranked) // request.per_page)
        shown = ranked[(page - 1) * request.per_page:page * request.per_page]
        return replace(base, page=page, total=total, total_is_estimate=estimate,
                       hits=tuple(_hit(fields, score, work.marked, generation)
                                  for score, fields in shown))

    def marked_terms(self, query: str) -> frozenset[str]:
        """The index terms a search for ``query`` marks (its words, their
        synonyms and corrections), for pages that show a whole passage."""
        parsed = parse_query(query)
        if parsed.empty:
            return frozenset()
        _, searcher = self._searchers.searcher()
        return plan(parsed, searcher.reader(), self._synonyms()).marked

    def articles(self) -> list[ArticleEntry]:
        """Every indexed article, by title; read from the generation's
        manifest, so listing ten thousand articles costs no file reads."""
        manifest = self._searchers.current().manifest
        return [ArticleEntry(aid, entry["title"], entry["passages"], entry.get("source_url"))
                for aid, entry in sorted(manifest.items(),
                                         key=lambda item: (item[1]["title"].casefold(), item[0]))]

    def topic(self, title: str, article_id: str | None = None) -> Topic:
        """A related topic, naming its article when the index has it."""
        return Topic(title, self._searchers.current().article_for(title, article_id))

    def suggest(self, prefix: str, limit: int = 8) -> list:
        """Titles, fact headings and questions that ``prefix`` begins a word
        of, best first, as index/suggest.py's Suggestion values; for an
        empty prefix, the topics most articles share (examples to try)."""
        from index.suggest import Suggestion, table_for

        table = table_for(self._searchers.current())
        if not prefix.strip():
            return [Suggestion(text, "topic") for text in table.examples(limit)]
        return table.suggest(prefix, limit)


def _hit(fields: dict, score: float, marked: frozenset[str], generation: Generation) -> Hit:
    heading = fields["heading"] if fields["kind"] in ("fact", "question") else None
    return Hit(
        id=fields["id"],
        article_id=fields["article_id"],
        article_title=fields["title"],
        kind=fields["kind"],
        number=fields.get("number"),
        heading=highlight.mark(heading, marked) if heading else None,
        snippet=highlight.snippet(fields.get("body") or fields.get("heading") or "", marked),
        score=round(score, 3),
        source_url=fields.get("url"),
        credit=fields.get("credit"),
        credit_url=fields.get("credit_url"),
        related=tuple(Topic(title, generation.article_for(title, rid))
                      for title, rid in fields.get("related") or ()),
    )
