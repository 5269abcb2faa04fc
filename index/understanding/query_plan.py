"""From a parsed query to the Whoosh query that finds its pool.

- the words are grouped into *concepts*: a run of words that is a synonym
  entry ("pins and needles") is one concept, any other word is one;
- a concept matches its own terms, its synonyms (weighted below the
  original) and, for a word the index has never seen, its close spellings
  (index/understanding/spelling.py; weighted lower still);
- all those terms are OR-ed in one flat query, each in every searched field
  with its boost (index/schema.py), so Whoosh can skip passages that cannot
  reach the pool, which a tree of nested queries defeats; in a large index,
  words most passages contain are left out of the OR;
- quoted phrases are required, ``-exclusions`` mask passages out;
- a word of the question's template or of the story around it
  (index/understanding/query_words.py: "what", "tell", "my son", "45") weighs
  NO_TOPIC_WEIGHT of a word of its rarity, in the OR and in the coverage.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from whoosh.query import And, AndMaybe, Or, Phrase, Query, Term

from index.understanding import spelling
from index.understanding.analysis import terms as analyse
from index.understanding.query import ParsedQuery
from index.understanding.query_words import names_no_topic
from index.schema import FIELD_BOOSTS, SEARCH_FIELDS

SYNONYM_WEIGHT = 0.8
FUZZY_WEIGHT = 0.7
# Once an index has COMMON_DOCS passages, terms found in more than
# COMMON_SHARE of them are left out of the OR when rarer ones remain.
COMMON_DOCS = 2000
COMMON_SHARE = 0.05
# At most this many unknown words of one query are corrected: each costs
# a walk of the vocabulary, and a query of thirty misspellings is no
# reader's (the rest stay as typed, matching nothing).
MAX_CORRECTED_WORDS = 4
# Quoted phrases and exclusions concern the passage's own words, not the
# title its article shares with every other passage.
PASSAGE_FIELDS = ("heading", "body")
# A template or background word counts this much of a word of its rarity.
# Leaving them out of a long message's word search altogether measured
# worse on help-line messages (README, Relevance): MedQuAD's questions
# share their form ("how many people...") with the reader's.
NO_TOPIC_WEIGHT = 0.5


class NoSynonyms:
    """The synonyms list of a knowledge base that has none."""
    max_words = 1

    def lookup(self, phrase: str) -> tuple[str, ...]:
        return ()


NO_SYNONYMS = NoSynonyms()


@dataclass
class Concept:
    """One idea of the query and the words that may stand for it."""
    words: list[str]                     # as typed (lower case)
    synonyms: tuple[str, ...] = ()
    corrections: list[str] = field(default_factory=list)  # best first
    # How much the concept tells passages apart: the inverse document
    # frequency of its rarest term (0 when the index has none of them),
    # times NO_TOPIC_WEIGHT for a word that names no topic.
    weight: float = 1.0
    names_topic: bool = True
    # A word of the English dictionary given corrections: "did you mean".
    dictionary_word: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def options(self) -> list[tuple[str, float]]:
        """Every text that stands for the concept, with its weight."""
        return ([(self.text, 1.0)] + [(s, SYNONYM_WEIGHT) for s in self.synonyms]
                + [(w, FUZZY_WEIGHT / (n + 1)) for n, w in enumerate(self.corrections)])

    def terms(self) -> set[str]:
        """Every index term that stands for the concept."""
        return {t for text, _ in self.options() for t in analyse(text)}


@dataclass
class Plan:
    """A query ready to run: the Whoosh query, what to mask out, what to mark."""
    concepts: list[Concept]
    query: Query | None
    mask: Query | None
    marked: frozenset[str]
    corrected: str | None
    correction_applied: bool


Corrector = Callable[[str], Sequence[str]]


def plan(parsed: ParsedQuery, reader, synonyms, correct: Corrector | None = None) -> Plan:
    """The query to run for ``parsed`` against ``reader``'s index.
    ``correct(word)`` gives an unknown word's close spellings, best first
    (by default index/understanding/spelling.py's; a searcher passes its cached ones)."""
    correct = correct or (lambda word: spelling.corrections(word, reader, PASSAGE_FIELDS))
    concepts = _concepts(parsed.words, reader, synonyms, correct)
    query, marked = _build(concepts, parsed.phrases, reader)
    corrected = _corrected_text(parsed, concepts)
    # Only corrections can match when no typed word is known; a dictionary
    # word is the reader's own, only ever a "did you mean".
    applied = bool(corrected) and not parsed.phrases and not any(
        _known(c, reader) or c.dictionary_word for c in concepts)
    return Plan(concepts, query, _phrase_or_terms_any(parsed.excluded), frozenset(marked),
                corrected, applied)


def _concepts(words: list[str], reader, synonyms, correct: Corrector) -> list[Concept]:
    """The query's ideas. A word the analyser drops (a stop word: "from",
    "have") is no idea of its own, so it is never corrected to a word it
    is not ("hive")."""
    longest = max(1, getattr(synonyms, "max_words", 1))
    passages = max(1, reader.doc_count())
    concepts, i, corrected = [], 0, 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + size])
            alternatives = synonyms.lookup(phrase)
            if alternatives or size == 1:
                concept = Concept(words[i:i + size], tuple(alternatives))
                i += size
                break
        if not concept.synonyms and not analyse(concept.text):
            continue
        if (len(concept.words) == 1 and corrected < MAX_CORRECTED_WORDS
                and not _known(concept, reader)):
            concept.corrections = list(correct(concept.words[0]))
            concept.dictionary_word = bool(concept.corrections) and spelling.is_english_word(
                concept.words[0])
            corrected += 1
        frequency = max((reader.doc_frequency(f, t) for t in concept.terms()
                         for f in PASSAGE_FIELDS), default=0)
        concept.weight = math.log(1 + passages / frequency) if frequency else 0.0
        concept.names_topic = bool(concept.synonyms) or not all(
            names_no_topic(w) for w in concept.words)
        concepts.append(concept)
    if any(c.names_topic and c.weight for c in concepts):
        for c in concepts:
            if not c.names_topic:
                c.weight *= NO_TOPIC_WEIGHT
    return concepts


def _known(concept: Concept, reader) -> bool:
    """Whether the index has any word of the concept or of its synonyms."""
    for text in (concept.text, *concept.synonyms):
        for term in analyse(text):
            if any(reader.doc_frequency(f, term) for f in FIELD_BOOSTS):
                return True
    return False


def _in_fields(term: str, weight: float) -> Query:
    return Or([Term(name, term, boost=FIELD_BOOSTS[name] * weight) for name in SEARCH_FIELDS])


def _without_common(weights: dict[str, float], reader) -> dict[str, float]:
    passages = reader.doc_count()
    if passages < COMMON_DOCS:
        return weights
    limit = passages * COMMON_SHARE
    rare = {t: w for t, w in weights.items()
            if max(reader.doc_frequency(f, t) for f in PASSAGE_FIELDS) <= limit}
    return rare or weights


def _phrase(text: str) -> Query | None:
    """``text`` as a phrase (or a single word) in the passage's own fields."""
    words = analyse(text)
    if not words:
        return None
    return Or([Term(name, words[0], boost=FIELD_BOOSTS[name]) if len(words) == 1
               else Phrase(name, words, boost=FIELD_BOOSTS[name])
               for name in PASSAGE_FIELDS])


def _build(concepts: list[Concept], phrases: list[list[str]],
           reader) -> tuple[Query | None, set[str]]:
    """The Whoosh query and the set of index terms to mark in snippets.

    A term that stands for several alternatives keeps its best weight.
    Terms most passages contain ("what" in "what causes high blood
    pressure") would cost a walk through most of a large index and tell
    little apart; the re-ranking still counts them. Quoted phrases are
    required around the OR.
    """
    weights: dict[str, float] = {}
    together: list[Query] = []  # a synonym of several words: all of them
    lead = any(c.names_topic and c.weight for c in concepts)
    for c in concepts:
        scale = 1.0 if c.names_topic or not lead else NO_TOPIC_WEIGHT
        for n, (text, weight) in enumerate(c.options()):
            weight *= scale
            found = analyse(text)
            if n and len(found) > 1:
                # "sciatic nerve pain" stands for "sciatica" only as a whole:
                # its words alone would match every passage about pain.
                # Its words are not marked: alone, they are not what was asked.
                together.append(And([_in_fields(t, weight) for t in found]))
                continue
            for term in found:
                weights[term] = max(weight, weights.get(term, 0.0))
    searched = _without_common(weights, reader)
    # The words left out for being everywhere are not marked where they ask
    # nothing of the topic ("what", "how", "tell"): every passage would be
    # yellow with them. A common word of the topic itself ("blood" in "high
    # blood sugar") is marked: a reader looks for it.
    marked = set(searched) | {t for c in concepts if c.names_topic for t in analyse(c.text)}
    clauses = [_in_fields(term, weight) for term, weight in searched.items()] + together
    should = Or(clauses) if clauses else None
    required = []
    for words in phrases:
        q = _phrase(" ".join(words))
        if q is not None:
            required.append(q)
            marked.update(analyse(" ".join(words)))
    if required:
        must = And(required) if len(required) > 1 else required[0]
        return (AndMaybe(must, should) if should is not None else must), marked
    return should, marked


def _phrase_or_terms_any(groups: list[list[str]]) -> Query | None:
    queries = [q for q in (_phrase(" ".join(g)) for g in groups) if q is not None]
    return Or(queries) if queries else None


def _corrected_text(parsed: ParsedQuery, concepts: list[Concept]) -> str | None:
    """The query with each unknown word replaced by its best correction."""
    text = parsed.text
    for c in concepts:
        if c.corrections:
            text = re.sub(rf"(?<!\w){re.escape(c.words[0])}(?!\w)", c.corrections[0],
                          text, flags=re.IGNORECASE)
    return text if text != parsed.text else None
