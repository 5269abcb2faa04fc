"""What a query asks, read once per query: the topic it names, the kind of
answer it wants, and how far its words can be trusted against its meaning.

- **The topic.** The query's words (with their synonyms and corrections,
  index/understanding/query_plan.py) are matched against the knowledge base's article
  titles — for MedQuAD, the focus of each document. A title is *named* when
  the query has every word of it, or every word but those that many titles
  share ("type", "syndrome", "1") when it has two of its words (one word,
  "breast", would name every title it begins: "Breast cancer"); the named
  titles that no other named title contains are the topic. A query that
  names no title has none: its rarest words are already counted most by
  the coverage factor (a topic made of them measured worse on the bundled
  article's judged queries). The ranking (index/ranking/rerank.py) puts a passage lacking the topic below one
  that has it.
- **The question type** (index/understanding/question_types.py): the reader's kinds asked
  and the MedQuAD labels that answer them.
- **The blend** of words and meaning (index/meaning/fusion.py): ``alpha``, the
  weight of the words, falls with the query's length (``blend_weight``).
"""
from __future__ import annotations

from dataclasses import dataclass

from index.understanding.analysis import terms as analyse
from index.understanding.question_types import answering_qtypes, asked_types, cue_words

# A title word that this share of titles (or more) has is generic: a title
# is named without it ("Glutaric acidemia type 1" by "glutaric acidemia").
GENERIC_TITLE_SHARE = 0.01
# A query that asks no kind of answer asks this one: a reader who types a
# topic's name alone wants to know what it is, as "tell me about" does.
# Measured: more answers first on generated queries, fewer on the judged
# ones (README, Relevance); off until a held-out set settles it.
BARE_TOPIC_ASKS: frozenset[str] = frozenset()
# The blend: the words weigh SHORT_ALPHA up to SHORT_WORDS words, then less
# by ALPHA_STEP a word, never below LONG_ALPHA (README, Relevance).
SHORT_ALPHA = 0.7
LONG_ALPHA = 0.4
SHORT_WORDS = 4
ALPHA_STEP = 0.03


def blend_weight(words: int) -> float:
    """The weight of the words in the blend for a query of ``words`` words:
    a short query is mostly a name its words find exactly; a long message
    says in many words what a few would, and its meaning carries it."""
    return max(LONG_ALPHA, SHORT_ALPHA - ALPHA_STEP * max(0, words - SHORT_WORDS))


@dataclass(frozen=True)
class Understanding:
    """One query, read."""
    topics: tuple[str, ...] = ()          # the titles it names, as written
    topic_words: tuple[str, ...] = ()     # its words that name the topic
    # Per topic word: the index terms that stand for it, and its weight.
    topic_terms: tuple[tuple[frozenset[str], float], ...] = ()
    asked: frozenset[str] = frozenset()   # the reader's question types
    qtypes: frozenset[str] = frozenset()  # the MedQuAD labels answering them
    alpha: float = SHORT_ALPHA            # the words' weight in the blend


class TitleTable:
    """Every article title of a generation by its index terms."""

    def __init__(self, titles) -> None:
        # One of each spelling: "Cystic fibrosis" and "Cystic Fibrosis" of
        # two sources are one topic.
        by_case = {t.strip().casefold(): t.strip() for t in sorted(titles) if t and t.strip()}
        self.titles: list[str] = sorted(by_case.values(), key=str.casefold)
        self.terms: list[frozenset[str]] = [frozenset(analyse(t)) for t in self.titles]
        self.by_term: dict[str, list[int]] = {}
        for n, found in enumerate(self.terms):
            for term in found:
                self.by_term.setdefault(term, []).append(n)
        limit = max(2, GENERIC_TITLE_SHARE * len(self.titles))
        self.generic = frozenset(t for t, ns in self.by_term.items() if len(ns) >= limit)

    def named(self, query_terms: set[str]) -> list[int]:
        """The titles ``query_terms`` name, none contained in another."""
        candidates = {n for t in query_terms - self.generic for n in self.by_term.get(t, ())}
        named = []
        for n in candidates:
            terms = self.terms[n]
            has = terms & query_terms
            if has == terms or (terms - has <= self.generic and len(has) >= 2):
                named.append(n)
        covered = {n: self.terms[n] & query_terms for n in named}
        return sorted((n for n in named
                       if not any(m != n and covered[n] < covered[m] for m in named)),
                      key=lambda n: self.titles[n].casefold())


def understand(text: str, words: list[str], concepts, titles: TitleTable | None) -> Understanding:
    """``text`` (the query as cleaned), its plain ``words`` and its
    ``concepts`` (index/understanding/query_plan.py), read against ``titles``."""
    alpha = blend_weight(len(words))
    content = [c for c in concepts if c.names_topic and c.weight > 0]
    query_terms = set().union(*(c.terms() for c in content)) if content else set()
    named = titles.named(query_terms) if titles is not None and query_terms else []
    # A title made only of words that ask for a kind of answer ("Genes")
    # is no topic; and the words of a named topic ask for no kind
    # ("myosin storage myopathy" asks nothing about storage).
    cues = {t for w in cue_words(text) for t in analyse(w)}
    named = [n for n in named if not titles.terms[n] <= cues]
    topic_words = {w for n in named for w in titles.titles[n].lower().split()}
    asked = asked_types(" ".join(w for w in text.split()
                                 if w.lower().strip("?.,!;:'\"()") not in topic_words))
    asked = asked or BARE_TOPIC_ASKS
    wanted = set().union(*(titles.terms[n] for n in named)) - titles.generic if named else set()
    topic = [c for c in content if c.terms() & wanted]
    return Understanding(
        topics=tuple(titles.titles[n] for n in named),
        topic_words=tuple(c.text for c in topic),
        topic_terms=tuple((frozenset(c.terms()), c.weight) for c in topic),
        asked=asked, qtypes=answering_qtypes(asked), alpha=alpha)

