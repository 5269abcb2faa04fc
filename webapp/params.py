"""Query-string parameters to a SearchRequest: strict for the API,
forgiving for pages.

The API answers a bad parameter with 400: the numbers and the kind are
checked by SearchRequest itself, so every front end gives the same message.
A page quietly falls back to a sensible value, since a person followed a
link. Any ``q`` is valid: the engine cleans it and cuts it.
"""
from __future__ import annotations

from collections.abc import Callable, Collection

from werkzeug.datastructures import MultiDict

from index import MAX_RESULT_WINDOW, SearchRequest
from kb.article import PASSAGE_KINDS
from kb.errors import QueryError
from webapp.results_page import PageRequest

_TOO_BIG = 10 ** 7  # any number with more digits is out of range anyway


def query(args: MultiDict) -> str:
    return args.get("q", "")


def _number(args: MultiDict, name: str) -> int | None:
    """The parameter as a number: None when absent, 0 (out of range, so
    refused with the usual message) when it is not a whole number."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit():
        return int(raw) if len(raw) < 8 else _TOO_BIG
    return 0


def api_request(args: MultiDict) -> SearchRequest | PageRequest:
    """``q``, ``page``, ``per_page``, ``kind``, ``qtype``, ``per_article``
    and ``group`` as the request of a flat page or, with ``group=article``,
    of a page of articles (QueryError when one is out of range)."""
    given = {name: value for name in ("page", "per_page", "per_article")
             if (value := _number(args, name)) is not None}
    kind = args.get("kind", "").strip() or None
    qtype = args.get("qtype", "").strip() or None
    group = args.get("group", "").strip()
    if group not in ("", "article"):
        raise QueryError("group must be article (or absent, for the flat ranking)")
    if group:
        # As the site shows them: articles, each with its best passages,
        # the same question of other sources folded into one.
        return PageRequest(query(args), kind=kind, qtype=qtype, **given)
    explain = args.get("explain", "").strip() in ("1", "true")
    return SearchRequest(query(args), kind=kind, qtype=qtype, explain=explain, **given)


def page_request(args: MultiDict, per_page: int, per_article: int,
                 qtypes: Collection[str]) -> PageRequest:
    """The request of a results page (articles, each with its best
    passages, duplicates folded, filters counted): any page number, kind or
    question type a link carries becomes one the engine accepts."""
    page = max(1, min(_number(args, "page") or 1, MAX_RESULT_WINDOW // (per_page * per_article)))
    kind, qtype = args.get("kind", ""), args.get("qtype", "")
    return PageRequest(query(args), page=page, per_page=per_page, per_article=per_article,
                       kind=kind if kind in PASSAGE_KINDS else None,
                       qtype=qtype if qtype in qtypes else None, clamp=True, facets=True)


def typed_so_far(args: MultiDict, knows: Callable[[str], bool],
                 begins_a_word: Callable[[str], bool]) -> MultiDict:
    """The arguments of a live search made while the reader types
    (``partial=1``): a last word still being typed (no space after it, not
    a word of the articles but the beginning of one) is left out, so a
    half-typed word is never searched or "corrected" ("diab" is not
    "dial"); a misspelt word that begins none is searched as typed."""
    text = query(args)
    if not args.get("partial") or text[-1:].isspace():
        return args
    done, _, last = text.rpartition(" ")
    if not last or knows(last) or not begins_a_word(last):
        return args
    kept = args.copy()
    kept["q"] = done
    return kept


def bounded(args: MultiDict, name: str, default: int, high: int) -> int:
    """A whole number from 1 to ``high`` (``default`` when absent), else
    QueryError: for API parameters that are no search's."""
    value = _number(args, name)
    if value is None:
        return default
    if not 1 <= value <= high:
        raise QueryError(f"{name} must be a whole number from 1 to {high}")
    return value
