"""Reading query-string parameters: strict for the API, forgiving for pages.

The API answers a bad parameter with 400 (QueryError); a page quietly
falls back to a sensible value, since a person followed a link. Any ``q``
is valid: the engine cleans it and cuts it at MAX_QUERY_CHARS.
"""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from index.search import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from kb.article import PASSAGE_KINDS
from kb.errors import QueryError


def query(args: MultiDict) -> str:
    return args.get("q", "")


def strict_int(args: MultiDict, name: str, default: int | None, maximum: int) -> int | None:
    """A whole number from 1 to ``maximum``; QueryError otherwise."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)):
        value = int(raw)
        if 1 <= value <= maximum:
            return value
    raise QueryError(f"{name} must be a whole number from 1 to {maximum}")


def strict_kind(args: MultiDict) -> str | None:
    kind = args.get("kind", "").strip()
    if not kind:
        return None
    if kind not in PASSAGE_KINDS:
        raise QueryError(f"kind must be one of {', '.join(PASSAGE_KINDS)}")
    return kind


def api_search_params(args: MultiDict) -> dict:
    """``page``, ``per_page``, ``kind`` and ``per_article`` for
    SearchIndex.search; without ``per_article`` the ranking is flat."""
    return {"page": strict_int(args, "page", 1, MAX_PAGE),
            "per_page": strict_int(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
            "kind": strict_kind(args),
            "per_article": strict_int(args, "per_article", None, MAX_PER_PAGE)}


def lenient_page(args: MultiDict) -> int:
    raw = args.get("page", "").strip()
    if raw.isascii() and raw.isdigit() and raw:
        return max(1, min(int(raw[:len(str(MAX_PAGE)) + 1]), MAX_PAGE))
    return 1


def lenient_kind(args: MultiDict) -> str | None:
    kind = args.get("kind", "")
    return kind if kind in PASSAGE_KINDS else None
