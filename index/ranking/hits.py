"""Ranked passages made into the values a front end shows (index/results.py
``Hit``): the heading and snippet with the query's words marked, the
article's related topics, and the other sources folded into a passage."""
from __future__ import annotations

from index.ranking import answers, highlight
from index.results import Elsewhere, Hit, Ranked, Topic


def hit(entry: Ranked, marked: frozenset[str], generation, reader) -> Hit:
    """``entry`` as a Hit, ``marked`` (index terms) marked in its texts."""
    fields, score = entry.fields, entry.score
    heading = fields["heading"] if fields["kind"] in ("fact", "question") else None
    return Hit(
        id=fields["id"],
        article_id=fields["article_id"],
        article_title=fields["title"],
        kind=fields["kind"],
        number=fields.get("number"),
        heading=highlight.mark(heading, marked) if heading else None,
        snippet=highlight.snippet(fields.get("body") or fields.get("heading") or "", marked),
        score=round(score, 3),
        source_url=fields.get("url"),
        credit=fields.get("credit"),
        credit_url=fields.get("credit_url"),
        related=related(fields, generation, reader),
        qtype=fields.get("qtype"),
        publisher=fields.get("publisher"),
        answered=answers.answered(fields),
        also_at=tuple(Elsewhere(d["id"], d["article_id"], d.get("publisher"), d.get("url"),
                                answers.answered(d)) for d in entry.duplicates),
    )


def related(fields, generation, reader) -> tuple[Topic, ...]:
    """The article's related topics, each once, never the article itself."""
    seen = {(fields.get("title") or "").casefold()}
    topics = []
    for title, related_id in fields.get("related") or ():
        if title.casefold() in seen or related_id == fields["article_id"]:
            continue
        seen.add(title.casefold())
        found = topic(title, related_id, generation, reader)
        if found.article_id != fields["article_id"]:
            topics.append(found)
    # Articles that answer first: a topic that only links out is a detour.
    return tuple(sorted(topics, key=lambda t: not t.answered))


def topic(title: str, article_id: str | None, generation, reader) -> Topic:
    """A related topic, naming its article when the generation has it."""
    found = generation.article_for(title, article_id)
    return Topic(title, found, found is not None or generation.findable(title, reader),
                 answered=found is None or generation.answers(found))
