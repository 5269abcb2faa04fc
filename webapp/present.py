"""Search responses presented: the JSON contract of DESIGN and the HTML of
marked text. The one place either is made, for the site's API, its pages
and `kb search --json`, which calls it outside any Flask request: links
come from a ``UrlBuilder`` (webapp/urls.py), and ``json_text`` writes the
body byte for byte as the app's JSON provider does."""
from __future__ import annotations

import json
from html import escape

from markupsafe import Markup

from index import (COMMON_WORDS, EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, Hit, Marked,
                   SearchResponse, Source, TopicCard)
from kb.article import anchor_of
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
    if response.passages:
        return None
    if response.empty_reason == COMMON_WORDS:
        words = ", ".join(f"“{w}”" for w in response.ignored)
        return (f"The search leaves out words as common as {words}: add a word that names "
                "a condition, a symptom, a treatment or a medicine.")
    return MESSAGES.get(response.empty_reason)


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
        "also_at": [{"id": e.hit_id, "url": links.article(e.article_id, anchor_of(e.hit_id)),
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
    if response.topic is not None:
        body["topic"] = topic_json(response.topic, links)
    if response.explained is not None:
        body["explain"] = explain_json(response.explained)
    if response.groups:
        body["groups"] = [{"article": {"id": g.article_id, "title": g.title,
                                       "url": links.article(g.article_id)},
                           "results": [h.id for h in g.hits],
                           "also_from": [source_json(s, links) for s in g.also_from],
                           "related": [{"title": t.title, "url": links.topic(t)}
                                       for t in g.related if t.findable]}
                          for g in response.groups]
    return body


def source_json(source: Source, links: UrlBuilder) -> dict:
    return {"id": source.article_id, "title": source.title,
            "url": links.article(source.article_id), "source": source.publisher,
            "source_url": source.source_url, "answered": source.answered}


def topic_json(card: TopicCard, links: UrlBuilder) -> dict:
    """The best bet (README): the topic's sources, the best answering
    first, its definition and the kinds of question it answers."""
    definition = card.definition
    return {
        "title": card.sources[0].title,
        "sources": [source_json(s, links) for s in card.sources],
        "definition": None if definition is None else {
            "id": definition.id, "url": links.article(definition.article_id, definition.anchor),
            "snippet": str(marked_html(definition.snippet))},
        "answers": [{"qtype": a.qtype, "id": a.hit_id, "answered": a.answered,
                     "url": links.article(a.article_id, a.anchor) if a.answered
                     else links.search(card.sources[0].title, qtype=a.qtype)}
                    for a in card.answers],
    }


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
