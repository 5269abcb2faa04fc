"""Typo tolerance: close spellings of a word the index has never seen.

Distances are Damerau-Levenshtein (optimal string alignment): a transposed
pair of letters ("anixety") is one edit, like a wrong, missing or extra
letter.

Candidates are ranked by how often the articles use them and how far they
are, together (a noisy channel: the likelier word is the one readers mean
more often, and each edit makes a misspelling less likely): one more edit
costs as much as EDIT_COST times fewer passages. So "athsma" finds
"asthma" (two edits, thousands of passages) before a rare word one edit
away, and a misspelled common disease is not read as a rare parasite.
A word of the English dictionary that no article uses is offered a
correction only to a word one edit away that at least DICTIONARY_RATIO
passages use (a "did you mean", never applied in its place).
"""
from __future__ import annotations

import functools
import math

from index.understanding.analysis import terms as analyse

# Words shorter than this are never corrected; longer words allow one edit,
# and two from LONG_WORD letters on.
MIN_FUZZY_LENGTH = 4
LONG_WORD = 6
# One edit weighs as much as this factor of passages using the candidate.
EDIT_COST = 50
# A dictionary word is offered a correction used by at least this many
# passages, one edit away.
DICTIONARY_RATIO = 50
MAX_FUZZY_LENGTH = 30
MAX_EXPANSIONS = 3


@functools.cache
def _english_words() -> frozenset[str]:
    # pyspellchecker's English word list (about 160,000 words with their
    # frequencies in a large English corpus, MIT licence): loaded once per
    # process, on the first unknown word.
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en").word_frequency.dictionary)


def is_english_word(word: str) -> bool:
    """Whether ``word`` is an English word: a reader who typed it meant it,
    even where the articles never use it, so it is never "corrected"."""
    return word.lower().replace("’", "'") in _english_words()


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if (prev2 is not None and i > 1 and j > 1 and ca == b[j - 2]
                    and a[i - 2] == cb):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def max_edits(word: str) -> int:
    if len(word) < MIN_FUZZY_LENGTH or len(word) > MAX_FUZZY_LENGTH:
        return 0
    return 2 if len(word) >= LONG_WORD else 1


def rank_score(distance: int, frequency: int) -> float:
    """How likely a candidate ``distance`` edits away, used by ``frequency``
    passages, is the word meant: higher is likelier."""
    return math.log(1 + frequency) - math.log(EDIT_COST) * distance


class Vocabulary:
    """The words of an index's ``vocab`` field, in memory (30,663 words,
    about 2 MB, for MedQuAD), and the characters they use."""

    def __init__(self, reader) -> None:
        words = [w.decode("utf-8") for w in reader.lexicon("vocab")]
        self.words = frozenset(words)
        self.alphabet = "".join(sorted(set().union(*words)))

    def one_edit(self, word: str, transpositions: bool) -> set[str]:
        """Its words one edit from ``word`` that begin as it does (a
        transposed pair counts as one edit with ``transpositions``)."""
        found = set()
        for i in range(1, len(word) + 1):
            head, tail = word[:i], word[i:]
            found.update(head + c + tail for c in self.alphabet)  # inserted
            if tail:
                found.add(head + tail[1:])  # deleted
                found.update(head + c + tail[1:] for c in self.alphabet)  # replaced
                if transpositions and len(tail) > 1:
                    found.add(head + tail[1] + tail[0] + tail[2:])
        return found & self.words


def corrections(word: str, reader, fields: tuple[str, ...],
                vocabulary: Vocabulary | None = None) -> list[str]:
    """Close spellings of ``word`` in the index vocabulary, best first by
    ``rank_score`` ("sciatia" is one edit from both "sciatic" and
    "sciatica"; the condition is named more often). A dictionary word gets
    only a correction one edit away used DICTIONARY_RATIO times or more.
    ``vocabulary``: the index's (``Vocabulary``), which finds the
    candidates one edit away by looking up each spelling that far, without
    walking the index's terms."""
    edits = max_edits(word)
    dictionary = is_english_word(word)
    if dictionary:
        edits = min(edits, 1)
    if not edits:
        return []
    # Whoosh's automaton counts a transposition as two edits; one more edit
    # of reach, filtered by the true distance, finds "anxiety" for "anixety"
    # (from five letters on).
    transpositions = edits == 1 and len(word) >= MIN_FUZZY_LENGTH + 1
    if edits == 1 and vocabulary is not None:
        # The same candidates as the walks below: about 400 look-ups of a
        # set for a word of five letters, 0.5 ms, where walking MedQuAD's
        # terms twice took 70-240 ms.
        candidates = vocabulary.one_edit(word, transpositions)
    else:
        # Per segment: a multi-segment reader's terms_within computes the
        # edit distance to every word sharing the prefix; a segment's walks
        # an automaton.
        candidates = {c for leaf, _ in reader.leaf_readers()
                      for c in leaf.terms_within("vocab", word, edits, prefix=1)}
        if transpositions:
            candidates |= {c for leaf, _ in reader.leaf_readers()
                           for c in leaf.terms_within("vocab", word, 2, prefix=1)
                           if edit_distance(word, c) <= 1}
    scored = []
    for candidate in candidates:
        if candidate == word:
            continue
        distance = edit_distance(word, candidate)
        if distance > edits:
            continue
        frequency = sum(reader.doc_frequency(f, t) for t in analyse(candidate) for f in fields)
        if dictionary and frequency < DICTIONARY_RATIO:
            continue
        scored.append((-rank_score(distance, frequency), distance,
                       -reader.doc_frequency("vocab", candidate), candidate))
    scored.sort()
    return [c for *_, c in scored[:MAX_EXPANSIONS]]
