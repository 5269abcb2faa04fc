"""Search responses presented: the JSON contract of DESIGN and the HTML of
marked text. The one place either is made, for the site's API, its pages
and `kb search --json`."""
from __future__ import annotations

from html import escape

from markupsafe import Markup

from index import (COMMON_WORDS, EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, Hit, Marked, SearchResponse, Source,
                   TopicCard)
from kb.article import anchor_of
from webapp.urls import article_url, search_url, topic_url

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
        "also_at": [{"id": e.hit_id, "url": article_url(e.article_id, anchor_of(e.hit_id)),
                     "source": e.publisher, "source_url": e.source_url, "answered": e.answered}
                    for e in hit.also_at],
    }


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
    if response.topic is not None:
        body["topic"] = topic_json(response.topic)
    if response.groups:
        body["groups"] = [{"article": {"id": g.article_id, "title": g.title,
                                       "url": article_url(g.article_id)},
                           "results": [h.id for h in g.hits],
                           "also_from": [source_json(s) for s in g.also_from],
                           "related": [{"title": t.title, "url": topic_url(t)}
                                       for t in g.related if t.findable]}
                          for g in response.groups]
    return body


def source_json(source: Source) -> dict:
    return {"id": source.article_id, "title": source.title, "url": article_url(source.article_id),
            "source": source.publisher, "source_url": source.source_url,
            "answered": source.answered}


def topic_json(card: TopicCard) -> dict:
    """The best bet (README): the topic's sources, the best answering
    first, its definition and the kinds of question it answers."""
    definition = card.definition
    return {
        "title": card.sources[0].title,
        "sources": [source_json(s) for s in card.sources],
        "definition": None if definition is None else {
            "id": definition.id, "url": article_url(definition.article_id, definition.anchor),
            "snippet": str(marked_html(definition.snippet))},
        "answers": [{"qtype": a.qtype, "id": a.hit_id, "answered": a.answered,
                     "url": article_url(a.article_id, a.anchor) if a.answered
                     else search_url(card.sources[0].title, qtype=a.qtype)}
                    for a in card.answers],
    }
