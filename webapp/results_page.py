"""Results as the site shows them: the engine's ranked pool (index ``Pool``)
grouped by article, the same question of several sources folded into one
result (its ``also_at``), cut into pages.

The results page and ``/api/search?group=article`` both answer through
``grouped``; the flat ranking is the engine's own (``Snapshot.search``).
Nothing here needs a Flask request, so `kb search --group` shares it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

from index import (MAX_RESULT_WINDOW, ArticleResult, Hit, Pool, PoolRequest, Ranked,
                   SearchRequest, SearchResponse, Snapshot, answered, check_filters, check_page,
                   check_per_article, folded, question_key, response_of)

# Grouped pages are cut from a few fixed pool sizes, one page deeper than
# asked: a page and the next share their pool, so a "Next" the page offers
# always has results behind it.
GROUPED_POOLS = (300, MAX_RESULT_WINDOW)


@dataclass(frozen=True)
class PageRequest:
    """A page of articles: ``per_page`` of them, each with its best
    ``per_article`` passages. ``clamp``: a page past the end is the last
    page (a person followed a link); ``facets``: count what the query
    matches by question type, for the filters."""
    query: str
    page: int = 1
    per_page: int = 10
    per_article: int = 3
    kind: str | None = None
    qtype: str | None = None
    clamp: bool = False
    facets: bool = False

    def __post_init__(self) -> None:
        check_page(self.page, self.per_page)
        check_per_article(self.per_article)
        check_filters(self.kind, self.qtype)

    def pool(self) -> PoolRequest:
        depth = (self.page + 1) * self.per_page * self.per_article
        size = next((tier for tier in GROUPED_POOLS if tier >= depth), MAX_RESULT_WINDOW)
        return PoolRequest(self.query, size, self.kind, self.qtype, self.facets)


def grouped(snapshot: Snapshot, request: PageRequest) -> SearchResponse:
    """The page ``request`` asks for, its ``groups`` filled; ``total``
    counts articles."""
    started = time.perf_counter()
    response = snapshot.remember(("grouped", request), lambda: _grouped(snapshot, request))
    return replace(response, took_ms=round((time.perf_counter() - started) * 1000, 2))


def _grouped(snapshot: Snapshot, request: PageRequest) -> SearchResponse:
    found: Pool = snapshot.pool(request.pool())
    groups = by_article(collapse(found.ranked), request.per_article)
    page = request.page
    if request.clamp and (page - 1) * request.per_page >= len(groups):
        page = max(1, -(-len(groups) // request.per_page))
    shown = groups[(page - 1) * request.per_page:page * request.per_page]
    # The articles found so far; "more than" that when the pool was cut (a
    # later page's deeper pool finds more).
    return response_of(found, page, request.per_page, total=len(groups),
                       total_is_estimate=found.cut,
                       groups=tuple(_article(snapshot.hits(group, found.marked_terms))
                                    for group in shown))


def _article(hits: tuple[Hit, ...]) -> ArticleResult:
    first = hits[0]
    return ArticleResult(first.article_id, first.article_title,
                         tuple(replace(h, related=()) for h in hits), related=first.related)


def collapse(ranked: tuple[Ranked, ...] | list[Ranked]) -> list[Ranked]:
    """One entry per question, at the rank of its best copy, with the other
    copies as its duplicates. The copy shown is an answered one when there
    is one, from the article that ranks first among them, so one source's
    card carries a topic's answers rather than each source a few. Only
    passages of other articles are duplicates (one page's several answers of
    a kind are all its own); passages that are not questions stay as they
    are."""
    article_rank: dict[str, int] = {}
    for n, entry in enumerate(ranked):
        article_rank.setdefault(entry.fields["article_id"], n)
    slots: list[list[Ranked]] = []
    by_key: dict[tuple, list[Ranked]] = {}
    for entry in ranked:
        key = question_key(entry.fields)
        copies = by_key.get(key) if key is not None else None
        if copies is not None and any(c.fields["article_id"] == entry.fields["article_id"]
                                      for c in copies):
            copies = None
        if copies is None:
            copies = []
            slots.append(copies)
            if key is not None:
                by_key.setdefault(key, copies)
        copies.append(entry)
    out = []
    for copies in slots:
        shown = min(copies, key=lambda c: (not answered(c.fields),
                                           article_rank[c.fields["article_id"]]))
        out.append(Ranked(copies[0].score, shown.fields,
                          tuple(c.fields for c in copies if c is not shown)))
    return out


def by_article(entries: list[Ranked], per_article: int) -> list[list[Ranked]]:
    """Entries grouped by article, articles in the order of their best
    entry, at most ``per_article`` entries each and one of each heading (a
    page that answers "What is Glaucoma?" in three parts shows the best)."""
    groups: dict[str, list[Ranked]] = {}
    headings: dict[str, set[str]] = {}
    for entry in entries:
        article_id = entry.fields["article_id"]
        group = groups.setdefault(article_id, [])
        seen = headings.setdefault(article_id, set())
        heading = folded(entry.fields.get("heading") or "")
        if len(group) < per_article and heading not in seen:
            seen.add(heading)
            group.append(entry)
    return list(groups.values())


def answer(snapshot: Snapshot, request: PageRequest | SearchRequest) -> SearchResponse:
    """A page of articles for a PageRequest, else a page of the flat ranking."""
    if isinstance(request, PageRequest):
        return grouped(snapshot, request)
    return snapshot.search(request)
