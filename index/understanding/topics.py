"""The topics a query names, and one topic's card (a "best bet").

A query names a topic when every word of an article's title is among what
it asks: its own words, their synonyms and corrections ("what causes
kidney stones" names *Kidney Stones*; "high blood sugar" names
*Hyperglycemia* through the synonyms list, and the stub titled *High blood
sugar*). Titles that are the same after folding, or synonyms of each
other, are one topic, whichever source publishes them. The topics are
looked for among the pool's articles only: a topic the query names but
nothing ranks is no best bet.

Of several topics named, the most specific (the longest title) comes
first, then the best ranked: "back pain" names *Back Pain* before *Pain*.
"""
from __future__ import annotations

import re
from typing import Iterable

from index.understanding.analysis import folded
from index.understanding.analysis import terms as analyse
from index.ranking.answers import answered
from index.results import NamedTopic, Ranked, Source, TopicAnswer, TopicCard

# How many topics a query may name before it names none in particular
# ("pain" in a long message names dozens of one-word titles).
MAX_NAMED = 3


def topic_key(title: str, synonyms) -> str:
    """One key for a title and every title synonymous with it."""
    return min([folded(title), *(folded(t) for t in synonyms.lookup(title))])


def named(ranked: Iterable[Ranked], asked: frozenset[str], synonyms) -> tuple[NamedTopic, ...]:
    """The topics of ``ranked`` that the query names (see the module
    docstring); ``asked``: the index terms the query searched for."""
    found: dict[str, tuple[int, int, str, list[str]]] = {}
    for rank, entry in enumerate(ranked):
        title = entry.fields.get("title") or ""
        words = set(analyse(title))
        if not words or not words <= asked:
            continue
        key = topic_key(title, synonyms)
        size, first, shown, articles = found.get(key, (0, rank, title, []))
        if entry.fields["article_id"] not in articles:
            articles.append(entry.fields["article_id"])
        found[key] = (max(size, len(words)), first, shown, articles)
    if len(found) > MAX_NAMED:
        longest = max(size for size, *_ in found.values())
        found = {k: v for k, v in found.items() if v[0] == longest}
        if len(found) > MAX_NAMED:
            return ()
    order = sorted(found.items(), key=lambda item: (-item[1][0], item[1][1]))
    return tuple(NamedTopic(key, title, tuple(articles))
                 for key, (_, _, title, articles) in order)


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
