"""Search responses presented: the JSON contract of DESIGN and the HTML of
marked text. The one place either is made, for the site's API, its pages
and `kb search --json`."""
from __future__ import annotations

from html import escape

from markupsafe import Markup

from index import EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, Hit, Marked, SearchResponse
from webapp.urls import article_url, topic_url

MESSAGES = {
    EMPTY_QUERY: "Type a word or a question to search the articles.",
    UNKNOWN_WORDS: "None of these words are in the articles.",
    NO_MATCH: "No passages match this query.",
}


def marked_html(marked: Marked | None) -> Markup:
    """``marked`` as HTML: everything escaped, the marked words in <mark>,
    an ellipsis where an excerpt was cut."""
    if marked is None:
        return Markup("")
    text, out, pos = marked.text, [], 0
    for start, end in marked.spans:
        out.append(escape(text[pos:start], quote=True))
        out.append("<mark>" + escape(text[start:end], quote=True) + "</mark>")
        pos = end
    out.append(escape(text[pos:], quote=True))
    html = "".join(out)
    if marked.cut_before:
        html = "… " + html
    if marked.cut_after:
        html += " …"
    return Markup(html)


def message(response: SearchResponse) -> str | None:
    """The sentence for a response without hits (None when it has some)."""
    return MESSAGES.get(response.empty_reason) if not response.passages else None


def hit_json(hit: Hit) -> dict:
    return {
        "id": hit.id,
        "article": {"id": hit.article_id, "title": hit.article_title,
                    "url": article_url(hit.article_id)},
        "kind": hit.kind,
        "number": hit.number,
        "heading": hit.heading.text if hit.heading else None,
        "heading_html": str(marked_html(hit.heading)) if hit.heading else None,
        "snippet": str(marked_html(hit.snippet)),
        "url": article_url(hit.article_id, hit.anchor),
        "source_url": hit.source_url,
        "score": hit.score,
        "related": [{"title": t.title, "url": topic_url(t)} for t in hit.related],
        "qtype": hit.qtype,
        "source": hit.publisher,
        "answered": hit.answered,
        "also_at": [{"id": e.hit_id, "url": article_url(e.article_id, e.hit_id.partition("#")[2]),
                     "source": e.publisher, "source_url": e.source_url, "answered": e.answered}
                    for e in hit.also_at],
    }


def explain_json(explained) -> dict:
    """Why the results ranked so (``explain=1``): the query as read, and
    each result's score factors by its id."""
    return {"topics": list(explained.topics), "topic_words": list(explained.topic_words),
            "asked": list(explained.asked), "qtypes": list(explained.qtypes),
            "words_weight": explained.words_weight,
            "factors": {pid: dict(f) for pid, f in explained.factors}}


def search_json(response: SearchResponse) -> dict:
    """DESIGN's search response, with the additive keys README lists."""
    body = {
        "query": response.query,
        "corrected": response.corrected,
        "correction_applied": response.correction_applied,
        "message": message(response),
        "total": response.total,
        "page": response.page,
        "per_page": response.per_page,
        "took_ms": response.took_ms,
        "results": [hit_json(h) for h in response.passages],
    }
    if response.total_is_estimate:
        body["total_is_estimate"] = True
    if response.explained is not None:
        body["explain"] = explain_json(response.explained)
    if response.groups:
        body["groups"] = [{"article": {"id": g.article_id, "title": g.title,
                                       "url": article_url(g.article_id)},
                           "results": [h.id for h in g.hits],
                           "related": [{"title": t.title, "url": topic_url(t)}
                                       for t in g.related if t.findable]}
                          for g in response.groups]
    return body
