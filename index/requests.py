"""What a front end asks the engine, checked once, here, for every front end.

``PoolRequest``: the ranked, counted pool of a query, as deep as a page
needs (index/ranking/pool.py). ``SearchRequest``: one page of the flat ranking,
which `kb search` and the API answer with when not asked to group.
"""
from __future__ import annotations

from dataclasses import dataclass

from kb.article import PASSAGE_KINDS
from kb.errors import QueryError

MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 10
# Like Elasticsearch's max_result_window: no request ranks deeper than this,
# so the pool a search sorts never grows with the page number.
MAX_RESULT_WINDOW = 1000
MAX_PAGE = MAX_RESULT_WINDOW
# The pool re-ranking sees at least this many passages, however few a
# page shows: re-ranking lifts passages from below the page's cut.
RERANK_POOL = 100
MAX_QTYPE_CHARS = 60


@dataclass(frozen=True)
class PoolRequest:
    """The ``depth`` best passages for ``query``, only of ``kind`` and of
    question type ``qtype`` when given; ``facets``: which question types (or
    kinds) the passages the query is about have, ignoring the filters."""
    query: str
    depth: int = RERANK_POOL
    kind: str | None = None
    qtype: str | None = None
    facets: bool = False
    explain: bool = False  # say why each passage ranked (results.Explanation)

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= MAX_RESULT_WINDOW:
            raise QueryError(f"results are ranked at most {MAX_RESULT_WINDOW} deep")
        check_filters(self.kind, self.qtype)


@dataclass(frozen=True)
class SearchRequest:
    """One page of the flat ranking. ``per_article`` caps how many passages
    of one article the ranking shows before other articles' passages (with
    thousands of articles, one article's questions can otherwise fill a
    page); None keeps the ranking as it is. ``qtype`` keeps only questions
    of that type."""
    query: str
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    kind: str | None = None
    per_article: int | None = None
    qtype: str | None = None
    explain: bool = False

    def __post_init__(self) -> None:
        if self.per_article is not None:
            check_per_article(self.per_article)
        check_page(self.page, self.per_page)
        check_filters(self.kind, self.qtype)

    def pool(self) -> PoolRequest:
        """The pool this page is cut from."""
        return PoolRequest(self.query, max(RERANK_POOL, self.page * self.per_page),
                           self.kind, self.qtype, explain=self.explain)


def check_page(page: int, per_page: int) -> None:
    """QueryError unless ``page`` of ``per_page`` results is one kb ranks."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}")
    if page * per_page > MAX_RESULT_WINDOW:
        raise QueryError(f"page × per_page must be at most {MAX_RESULT_WINDOW} "
                         "(results are ranked that deep at most)")


def check_per_article(per_article: int) -> None:
    if not 1 <= per_article <= MAX_PER_PAGE:
        raise QueryError(f"per_article must be a whole number from 1 to {MAX_PER_PAGE}")


def check_filters(kind: str | None, qtype: str | None) -> None:
    """QueryError unless ``kind`` and ``qtype`` are filters a search takes."""
    if kind is not None and kind not in PASSAGE_KINDS:
        raise QueryError(f"kind must be one of {', '.join(PASSAGE_KINDS)}")
    if qtype is not None and not (0 < len(qtype) <= MAX_QTYPE_CHARS):
        raise QueryError(f"qtype must be a question type of at most {MAX_QTYPE_CHARS} characters")
