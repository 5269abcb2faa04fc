"""Re-ranking the best-scored pool of passages.

BM25F alone lets one frequent word outweigh the rest of a query. Over the
pool Whoosh returns, each passage's score is multiplied by

- a coordination factor: the share of the query's concepts it matches,
  squared, so a passage missing one word still ranks, but below those that
  have them all;
- a proximity bonus for each pair of neighbouring query words that stand
  close together in its heading or body ("sleeping position" near
  "sleeping positions").

Both read the passage's stored text, which the page needs anyway, so they
cost no extra index lookups and keep the main query a flat, fast OR.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

from index.analysis import terms as analyse

COORDINATION_FLOOR = 0.2
PROXIMITY_BONUS = 0.25
PROXIMITY_SLOP = 2

Scored = tuple[float, dict]  # a score and the passage's stored fields


def neighbour_pairs(words: Iterable[str]) -> list[tuple[str, str]]:
    """Adjacent, distinct index terms of the query, in order, once each."""
    terms = [t for w in words for t in analyse(w)]
    return list(dict.fromkeys((a, b) for a, b in zip(terms, terms[1:]) if a != b))


def _positions(text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for i, term in enumerate(analyse(text)):
        found[term].append(i)
    return found


def _near(first: list[int], second: list[int]) -> bool:
    return any(0 < b - a <= PROXIMITY_SLOP + 1 for a in first for b in second)


def factor(fields: dict, concept_terms: list[set[str]],
           pairs: list[tuple[str, str]]) -> float:
    """The multiplier of one passage's score (see the module docstring)."""
    texts = [_positions(fields.get("heading") or ""), _positions(fields.get("body") or "")]
    present = set().union(*texts, analyse(fields.get("title") or ""))
    result = 1.0
    if len(concept_terms) > 1:
        share = sum(1 for terms in concept_terms if terms & present) / len(concept_terms)
        result = COORDINATION_FLOOR + (1 - COORDINATION_FLOOR) * share ** 2
    if pairs:
        close = sum(1 for a, b in pairs
                    if any(a in t and b in t and _near(t[a], t[b]) for t in texts))
        result *= 1 + PROXIMITY_BONUS * close
    return result


def rank(pool: Sequence[Scored], concepts) -> list[Scored]:
    """The pool re-scored and sorted, best first (ties keep pool order)."""
    concept_terms = [c.terms() for c in concepts]
    pairs = neighbour_pairs(c.text for c in concepts)
    rescored = [(score * factor(fields, concept_terms, pairs), n, fields)
                for n, (score, fields) in enumerate(pool)]
    rescored.sort(key=lambda r: (-r[0], r[1]))
    return [(score, fields) for score, _, fields in rescored]


def cap_per_article(ranked: list[Scored], cap: int) -> list[Scored]:
    """The first ``cap`` passages of each article in rank order, then the
    rest in rank order."""
    seen: dict[str, int] = {}
    first, later = [], []
    for entry in ranked:
        article_id = entry[1]["article_id"]
        seen[article_id] = seen.get(article_id, 0) + 1
        (first if seen[article_id] <= cap else later).append(entry)
    return first + later
