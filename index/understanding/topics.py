"""The topics a query names, and one topic's card (a "best bet").

Which titles a query names is the query understanding's
(index/understanding/understanding.py: every word of a title among the
query's words, synonyms and corrections, or two of them when the rest are
words many titles share; none contained in another). Here the titles
become topics: titles that are the same after folding, or synonyms of each
other ("High blood sugar" and "Hyperglycemia"), are one topic, whichever
source publishes them, and a topic holds the pool's articles of those
titles in rank order. A topic nothing in the pool has is no best bet.
"""
from __future__ import annotations

import re
from typing import Iterable

from index.ranking.answers import answered
from index.results import NamedTopic, Ranked, Source, TopicAnswer, TopicCard
from index.understanding.analysis import terms as analyse
from index.understanding.topic_names import topic_key


def named(titles: Iterable[str], ranked: Iterable[Ranked], synonyms,
          asked: frozenset[str]) -> tuple[NamedTopic, ...]:
    """The topics of ``titles`` (those the query names) that the pool
    ``ranked`` has: those whose title the query says whole first ("kidney
    stones" names *Kidney stones* before *Kidney Stones in Children*, named
    too, "children" being a word many titles share), then in the order of
    their best passage. ``asked``: the index terms the query searched for."""
    wanted = {topic_key(title, synonyms) for title in titles}
    found: dict[str, tuple[int, str, list[str]]] = {}
    for entry in ranked:
        title = entry.fields.get("title") or ""
        key = topic_key(title, synonyms)
        if key in wanted:
            unsaid = len(set(analyse(title)) - asked)
            best, shown, articles = found.get(key, (unsaid, title, []))
            if entry.fields["article_id"] not in articles:
                articles.append(entry.fields["article_id"])
            found[key] = (min(best, unsaid), shown, articles)
    order = sorted(found.items(), key=lambda item: item[1][0])  # stable: rank order kept
    return tuple(NamedTopic(key, title, tuple(articles))
                 for key, (_, title, articles) in order)


def best_source(passages_by_article: dict[str, list[dict]]) -> list[str]:
    """Article ids, the one answering the most questions first (ties: the
    order given, which is rank order)."""
    order = list(passages_by_article)
    return sorted(order, key=lambda aid: (-sum(answered(f) for f in passages_by_article[aid]),
                                          order.index(aid)))


# The kinds of question a card links to, in the order a reader looks for
# them; other kinds follow in the order the articles ask them.
READER_ORDER = ("symptoms", "causes", "exams and tests", "treatment", "prevention",
                "outlook", "complications", "frequency", "susceptibility", "inheritance",
                "genetic changes", "indication", "usage", "side effects", "precautions",
                "interactions with medications", "storage and disposal",
                "when to contact a medical professional")
DEFINITION = "information"  # MedQuAD's "What is X?"
_WHAT_IS = re.compile(r"\s*what\s+(?:is|are)\b", re.IGNORECASE)


def card(topic: NamedTopic, passages: dict[str, list[dict]], make_hit) -> TopicCard:
    """The card of ``topic`` from its articles' passages (each article's in
    reading order); ``make_hit(fields)`` marks a passage as results do."""
    order = best_source(passages)
    sources = tuple(_source(passages[aid]) for aid in order)
    every = [f for aid in order for f in passages[aid]]
    answering = [f for f in every if answered(f)]
    definition = next(
        (f for test in (_asks_what_it_is, _is_definition, lambda f: True)
         for f in answering if test(f)), None)
    kinds: dict[str, TopicAnswer] = {}
    for f in every:
        qtype = f.get("qtype")
        if not qtype or qtype == DEFINITION or f is definition:
            continue
        if qtype not in kinds or (answered(f) and not kinds[qtype].answered):
            kinds[qtype] = TopicAnswer(qtype, f["id"], f["article_id"], answered(f))
    ranked = sorted(kinds.values(), key=lambda a: (
        READER_ORDER.index(a.qtype) if a.qtype in READER_ORDER else len(READER_ORDER)))
    return TopicCard(topic.title, sources,
                     make_hit(definition) if definition is not None else None, tuple(ranked))


def _is_definition(fields: dict) -> bool:
    return fields.get("qtype") == DEFINITION or fields["kind"] == "intro"


def _asks_what_it_is(fields: dict) -> bool:
    """A definition that asks "What is X?" (MedQuAD files much else under
    "information": who is at risk, what research is done)."""
    return fields.get("qtype") == DEFINITION and bool(_WHAT_IS.match(fields.get("heading") or ""))


def _source(fields: list[dict]) -> Source:
    first = fields[0]
    return Source(first["article_id"], first["title"], first.get("publisher"),
                  first.get("credit_url") or first.get("url"), any(answered(f) for f in fields))
