"""Re-ranking the best-scored pool of passages.

BM25F alone lets one frequent word outweigh the rest of a query. Over the
pool Whoosh returns, each passage's score is multiplied by

- a coordination factor: the share of the query's concepts it matches,
  each concept counted by how much it tells passages apart (its inverse
  document frequency), squared, so a passage missing one word still ranks,
  but below those that have them all, and one that has only the common
  words of a query ("side effects") ranks below one that has its rare one
  ("metformin");
- a proximity bonus for each pair of neighbouring query words that stand
  close together in its heading or body ("sleeping position" near
  "sleeping positions").

- a topic bonus: the share of the article title's words the query has, so
  "symptoms of diabetes" prefers *Diabetes* to *Transient neonatal diabetes
  mellitus*;
- a question-type bonus: a query that asks for a kind of answer
  (index/understanding/question_types.py) prefers passages of that kind;
- a topic factor: the share of the topic the query names
  (index/understanding/understanding.py) that the passage has, squared, above
  TOPIC_FLOOR, so a passage lacking the topic ranks below one that has it
  however well the question's other words match.

All compare the query's terms with the passage's heading, body and title
as index terms, read from the generation's passage terms
(index/ranking/passage_terms.py, made at build time) or, for a generation
without them, analysed from the stored fields; no extra index lookups,
and the main query stays a flat, fast OR.
"""
from __future__ import annotations

import functools
from typing import Callable, Iterable, Sequence

from index.ranking import passage_terms
from index.understanding.analysis import terms as analyse

COORDINATION_FLOOR = 0.2
QUESTION_TYPE_BONUS = 0.5
TOPIC_BONUS = 0.5
PROXIMITY_BONUS = 0.25
PROXIMITY_SLOP = 2
TOPIC_FLOOR = 0.6

Scored = tuple[float, dict]  # a score and the passage's stored fields


def neighbour_pairs(words: Iterable[str]) -> list[tuple[str, str]]:
    """Adjacent, distinct index terms of the query, in order, once each."""
    terms = [t for w in words for t in analyse(w)]
    return list(dict.fromkeys((a, b) for a, b in zip(terms, terms[1:]) if a != b))


# Passages whose terms a process keeps analysed, for a generation without
# passage terms: the pools of a site's queries share many passages (the
# popular ones), and analysing a long answer costs more than the rest of
# its re-ranking.
ANALYSED_CACHE_SIZE = 8192


@functools.lru_cache(maxsize=ANALYSED_CACHE_SIZE)
def _analysed(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """A text's index terms in order, and as a set."""
    found = tuple(analyse(text))
    return found, frozenset(found)


def _near(text_terms: tuple[str, ...], first: str, second: str) -> bool:
    """Whether ``second`` follows ``first`` within PROXIMITY_SLOP words."""
    at = [i for i, term in enumerate(text_terms) if term == first]
    after = {i for i, term in enumerate(text_terms) if term == second}
    return any(i + gap in after for i in at for gap in range(1, PROXIMITY_SLOP + 2))


# A passage's heading and body terms, each in order and as a set, and its
# title's terms as a set: strings when analysed from stored text, numbers
# when read from the generation's passage terms.
_Analysed = tuple[list, list, frozenset]


def _from_text(fields: dict) -> _Analysed:
    """The passage's terms, analysed from its stored fields."""
    texts = [_analysed(fields.get("heading") or ""), _analysed(fields.get("body") or "")]
    return texts, _analysed(fields.get("title") or "")[1]


def _from_terms(texts: passage_terms.Texts) -> _Analysed:
    return ([(texts.heading, frozenset(texts.heading)), (texts.body, frozenset(texts.body))],
            frozenset(texts.title))


class _Query:
    """The query's concepts (each one's terms and weight), neighbouring
    pairs and topic terms, named as a passage's terms are (``name``: a
    term's number; None for analysed text, which names terms by
    themselves), with the sums every passage's factors use. A term no
    passage has is left out, which changes no factor: it could match
    nothing."""

    def __init__(self, concept_terms, pairs, topic_terms, name=None) -> None:
        if name is not None:
            def named(terms) -> frozenset:
                return frozenset(n for n in map(name, terms) if n is not None)
            concept_terms = [(named(terms), weight) for terms, weight in concept_terms]
            pairs = [(a, b) for a, b in ((name(a), name(b)) for a, b in pairs)
                     if a is not None and b is not None]
            topic_terms = [(named(terms), weight) for terms, weight in topic_terms]
        self.concept_terms, self.pairs, self.topic_terms = concept_terms, pairs, topic_terms
        self.concept_weight = sum(weight for _, weight in concept_terms)
        self.topic_weight = sum(weight for _, weight in topic_terms)
        self.asked = frozenset().union(*(terms for terms, _ in concept_terms))


def factor(fields: dict, concept_terms: list[tuple[set[str], float]],
           pairs: list[tuple[str, str]]) -> float:
    """The multiplier of one passage's score (see the module docstring);
    ``concept_terms`` holds each concept's terms and weight."""
    return _factor(*_from_text(fields), _Query(concept_terms, pairs, ()))


def _factor(texts, title_terms, query: _Query) -> float:
    present = texts[0][1] | texts[1][1] | title_terms
    result = 1.0
    total = query.concept_weight
    # One concept counts too: a passage found by meaning alone may lack it.
    if total > 0:
        share = sum(weight for terms, weight in query.concept_terms
                    if not terms.isdisjoint(present)) / total
        result = COORDINATION_FLOOR + (1 - COORDINATION_FLOOR) * share ** 2
    if query.pairs:
        # Loops, not generators: a long question has a dozen pairs, and
        # this runs for each of a hundred passages.
        close = 0
        for a, b in query.pairs:
            if a in present and b in present:
                for order, found in texts:
                    if a in found and b in found and _near(order, a, b):
                        close += 1
                        break
        result *= 1 + PROXIMITY_BONUS * close
    if title_terms and query.concept_terms:
        result *= 1 + TOPIC_BONUS * (len(title_terms & query.asked) / len(title_terms)) ** 2
    return result


def topic_factor(fields: dict, topic_terms) -> float:
    """The multiplier for how much of the query's topic (``topic_terms``:
    each topic word's terms and weight) a passage has."""
    return _topic_factor(*_from_text(fields), _Query((), (), topic_terms))


def _topic_factor(texts, title_terms, query: _Query) -> float:
    total = query.topic_weight
    if total <= 0:
        return 1.0
    present = texts[0][1] | texts[1][1] | title_terms
    share = sum(weight for terms, weight in query.topic_terms
                if not terms.isdisjoint(present)) / total
    return TOPIC_FLOOR + (1 - TOPIC_FLOOR) * share ** 2


def rank(pool: Sequence[Scored], concepts, understood=None,
         explain: dict | None = None,
         terms: Callable[[dict], passage_terms.Texts | None] | None = None) -> list[Scored]:
    """The pool re-scored and sorted, best first (ties keep pool order);
    ``understood`` (index/understanding/understanding.py) holds the topic and the
    question types the query asks for. ``explain``, when given, gets each
    passage's factors by passage id. ``terms``, when given, gives a
    passage's terms from the generation (index/ranking/passage_terms.py),
    or None where its stored text must be analysed."""
    concept_terms = [(c.terms(), c.weight) for c in concepts]
    pairs = neighbour_pairs(c.text for c in concepts)
    qtypes = understood.qtypes if understood is not None else frozenset()
    topic = understood.topic_terms if understood is not None else ()
    as_text = _Query(concept_terms, pairs, topic)
    named: dict[object, _Query] = {}  # the query as each segment names terms
    rescored = []
    for n, (score, fields) in enumerate(pool):
        found = terms(fields) if terms is not None else None
        if found is None:
            texts, title, query = *_from_text(fields), as_text
        else:
            texts, title = _from_terms(found)
            query = named.get(found.name)
            if query is None:
                query = named[found.name] = _Query(concept_terms, pairs, topic, found.name)
        words = _factor(texts, title, query)
        kind = 1 + QUESTION_TYPE_BONUS if fields.get("qtype") in qtypes else 1
        on_topic = _topic_factor(texts, title, query)
        rescored.append((score * words * kind * on_topic, n, fields))
        if explain is not None:
            explain[fields.get("id")] = {"blended": round(score, 4), "words": round(words, 4),
                                     "question_type": kind, "topic": round(on_topic, 4)}
    rescored.sort(key=lambda r: (-r[0], r[1]))
    return [(score, fields) for score, _, fields in rescored]


def cap_per_article(ranked: list, cap: int) -> list:
    """The first ``cap`` passages of each article in rank order, then the
    rest in rank order (entries have the passage's stored ``fields``)."""
    seen: dict[str, int] = {}
    first, later = [], []
    for entry in ranked:
        article_id = entry.fields["article_id"]
        seen[article_id] = seen.get(article_id, 0) + 1
        (first if seen[article_id] <= cap else later).append(entry)
    return first + later
