"""Search responses presented: the JSON contract of DESIGN and the HTML of
marked text. The one place either is made, for the site's API, its pages
and `kb search --json`, which calls it outside any Flask request: links
come from a ``UrlBuilder`` (webapp/urls.py), and ``json_text`` writes the
body byte for byte as the app's JSON provider does."""
from __future__ import annotations

import json
from html import escape

from markupsafe import Markup

from index import EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, Hit, Marked, SearchResponse
from webapp import urls
from webapp.urls import UrlBuilder

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


def hit_json(hit: Hit, links: UrlBuilder) -> dict:
    return {
        "id": hit.id,
        "article": {"id": hit.article_id, "title": hit.article_title,
                    "url": links.article(hit.article_id)},
        "kind": hit.kind,
        "number": hit.number,
        "heading": hit.heading.text if hit.heading else None,
        "heading_html": str(marked_html(hit.heading)) if hit.heading else None,
        "snippet": str(marked_html(hit.snippet)),
        "url": links.article(hit.article_id, hit.anchor),
        "source_url": hit.source_url,
        "score": hit.score,
        "related": [{"title": t.title, "url": links.topic(t)} for t in hit.related],
        "qtype": hit.qtype,
        "source": hit.publisher,
        "answered": hit.answered,
        "also_at": [{"id": e.hit_id, "url": links.article(e.article_id, e.hit_id.partition("#")[2]),
                     "source": e.publisher, "source_url": e.source_url, "answered": e.answered}
                    for e in hit.also_at],
    }


def search_json(response: SearchResponse, links: UrlBuilder | None = None) -> dict:
    """DESIGN's search response, with the additive keys README lists; links
    by ``links`` (default: the current request's)."""
    links = links or urls.current()
    body = {
        "query": response.query,
        "corrected": response.corrected,
        "correction_applied": response.correction_applied,
        "message": message(response),
        "total": response.total,
        "page": response.page,
        "per_page": response.per_page,
        "took_ms": response.took_ms,
        "results": [hit_json(h, links) for h in response.passages],
    }
    if response.total_is_estimate:
        body["total_is_estimate"] = True
    if response.groups:
        body["groups"] = [{"article": {"id": g.article_id, "title": g.title,
                                       "url": links.article(g.article_id)},
                           "results": [h.id for h in g.hits],
                           "related": [{"title": t.title, "url": links.topic(t)}
                                       for t in g.related if t.findable]}
                          for g in response.groups]
    return body


def json_text(body: dict) -> str:
    """``body`` as the site sends it (webapp/security.py's JSON provider
    outside debug mode: keys in order, ASCII, compact, ``inert``, a final
    newline)."""
    return inert(json.dumps(body, ensure_ascii=True, sort_keys=False,
                            separators=(",", ":"))) + "\n"


def inert(json_text: str) -> str:
    """JSON text without a raw ``<``, ``>`` or ``&``: they can stand only
    inside strings, where ``\\u003c`` etc. mean the same, so a response
    sniffed or pasted as HTML stays inert."""
    return json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
