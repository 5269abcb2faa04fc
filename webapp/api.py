"""The JSON API: the data of every page, errors in one shape."""
from __future__ import annotations

import dataclasses

from flask import Blueprint, current_app, request

from kb.article import Article
from webapp import params, present, urls
from webapp.search import get_index
from webapp.views import get_article_or_404

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_SUGGESTIONS = 8


def _json(data: dict):
    return current_app.json.response(data)


@bp.get("/search")
def search():
    """DESIGN's search response (plus the additive keys README lists)."""
    return _json(present.search_json(get_index().search(params.api_request(request.args))))


@bp.get("/suggest")
def suggest():
    prefix = params.query(request.args)
    return _json({"query": prefix,
                  "suggestions": get_index().suggest(prefix, limit=MAX_SUGGESTIONS)})


@bp.get("/articles")
def article_list():
    return _json({"articles": [{"id": a.id, "title": a.title, "url": urls.article_url(a.id),
                                "passages": a.passages} for a in get_index().articles()]})


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
    engine = get_index()
    return {
        "id": article.id,
        "title": article.title,
        "url": urls.article_url(article.id),
        "source": source,
        "sections": [{"kind": s.kind, "anchor": s.anchor,
                      **{k: v for k, v in dataclasses.asdict(s).items()
                         if v is not None and k != "kind"}}
                     for s in article.sections],
        "related": [{"title": t.title, "url": urls.topic_url(engine.topic(t.title, t.id))}
                    for t in article.related],
    }
