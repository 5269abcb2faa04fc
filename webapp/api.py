"""The JSON API: the data of every page, errors in one shape."""
from __future__ import annotations

import dataclasses

from flask import Blueprint, current_app, request

from kb.article import Article
from index import MAX_PAGE
from kb.errors import QueryError
from webapp import catalog, params, present, querylog, results_page, urls
from webapp.search import get_snapshot
from webapp.views import get_article_or_404

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_SUGGESTIONS = 8


def _json(data: dict):
    return current_app.json.response(data)


@bp.get("/search")
def search():
    """DESIGN's search response (plus the additive keys README lists)."""
    response = results_page.answer(get_snapshot(), params.api_request(request.args))
    querylog.record(response)  # the editors' query log (kb report)
    return _json(present.search_json(response))


@bp.get("/suggest")
def suggest():
    """Titles and headings the typed words begin (README): ``suggestions``
    their texts, ``items`` each with its kind (title, fact or question)."""
    prefix = params.query(request.args)
    found = get_snapshot().suggest(prefix, limit=MAX_SUGGESTIONS) if prefix.strip() else []
    return _json({"query": prefix, "suggestions": [s.text for s in found],
                  "items": [{"text": s.text, "kind": s.kind} for s in found]})


# Paging parameters of /api/articles; without any, it lists every article.
LIST_PARAMS = ("letter", "page", "per_page")
MAX_LIST_PER_PAGE = 1000


@bp.get("/articles")
def article_list():
    """Every indexed article; with ``letter``, ``page`` or ``per_page``, one
    page of the article list (README)."""
    entries = get_snapshot().articles()
    if not any(name in request.args for name in LIST_PARAMS):
        return _json({"articles": [{"id": a.id, "title": a.title, "url": urls.article_url(a.id),
                                    "passages": a.passages} for a in entries]})
    listing = catalog.catalog(entries)
    letter = request.args.get("letter", "").strip().upper() or None
    if letter is not None and catalog.letter_of(letter) != letter:
        raise QueryError(f"letter must be one of A-Z or {catalog.OTHER}")
    per_page = params.bounded(request.args, "per_page", catalog.PER_PAGE, MAX_LIST_PER_PAGE)
    shown = catalog.page_of(listing.with_letter(letter),
                            params.bounded(request.args, "page", 1, MAX_PAGE), per_page)
    return _json({
        "letter": letter, "total": shown.total, "page": shown.page, "per_page": per_page,
        "last_page": shown.last_page,
        "letters": [{"letter": value, "count": count} for value, count in listing.letters],
        "articles": [{"id": a.id, "title": a.title, "detail": a.detail,
                      "url": urls.article_url(a.id)} for a in shown.articles],
    })


@bp.get("/articles/<article_id>")
def article(article_id: str):
    return _json(article_json(get_article_or_404(article_id)))


def article_json(article: Article) -> dict:
    """An article as JSON: sections with their anchors, related topics with
    the address each links to."""
    source = None
    if article.source is not None:
        source = {k: v for k, v in dataclasses.asdict(article.source).items()
                  if v is not None}
    snapshot = get_snapshot()
    return {
        "id": article.id,
        "title": article.title,
        "url": urls.article_url(article.id),
        "source": source,
        "sections": [{"kind": s.kind, "anchor": s.anchor,
                      **{k: v for k, v in dataclasses.asdict(s).items()
                         if v is not None and k != "kind"}}
                     for s in article.sections],
        "related": [{"title": t.title, "url": urls.topic_url(snapshot.topic(t.title, t.id))}
                    for t in article.related],
    }
