"""The JSON API: the data of every page, errors in one shape."""
from __future__ import annotations

import dataclasses

from flask import Blueprint, jsonify, request


from kb.article import Article
from webapp import params

from index.search import article_url
from webapp.search import get_index
from webapp.views import get_article_or_404

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_SUGGESTIONS = 8


@bp.get("/search")
def search():
    """DESIGN's search response (plus the engine's extra keys)."""
    options = params.api_search_params(request.args)
    return jsonify(get_index().search(params.query(request.args), **options))


@bp.get("/suggest")
def suggest():
    prefix = params.query(request.args)
    return jsonify({"query": prefix,
                    "suggestions": get_index().suggest(prefix, limit=MAX_SUGGESTIONS)})


@bp.get("/articles")
def article_list():
    return jsonify({"articles": get_index().articles()})


@bp.get("/articles/<article_id>")
def article(article_id: str):
    return jsonify(article_json(get_article_or_404(article_id)))


def article_json(article: Article) -> dict:
    """An article as JSON: sections with their anchors, related topics with
    the address each links to."""
    source = None
    if article.source is not None:
        source = {k: v for k, v in dataclasses.asdict(article.source).items()
                  if v is not None}
    return {
        "id": article.id,
        "title": article.title,
        "url": article_url(article.id),
        "source": source,
        "sections": [{"kind": s.kind, "anchor": s.anchor,
                      **{k: v for k, v in dataclasses.asdict(s).items()
                         if v is not None and k != "kind"}}
                     for s in article.sections],
        "related": [{"title": t.title, "url": get_index().topic_url(t.title, t.id)}
                    for t in article.related],
    }

