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

import numpy as np

from index.ranking.impacts import SortedTerms

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
def _english_words() -> SortedTerms:
    # pyspellchecker's English word list (about 160,000 words with their
    # frequencies in a large English corpus, MIT licence): loaded once per
    # process, on the first unknown word, and kept as one sorted block of
    # UTF-8 (2.5 MB; a set of the words held 17 MB in each worker).
    from spellchecker import SpellChecker

    listed = SpellChecker(language="en").word_frequency.dictionary
    words = sorted(w.encode("utf-8") for w in listed)
    return SortedTerms(np.frombuffer(b"".join(words), dtype=np.uint8),
                       np.cumsum([0, *map(len, words)], dtype=np.int64))


def is_english_word(word: str) -> bool:
    """Whether ``word`` is an English word: a reader who typed it meant it,
    even where the articles never use it, so it is never "corrected"."""
    return _english_words().find(word.lower().replace("’", "'").encode("utf-8")) >= 0


def edit_distance(a: str, b: str, transpositions: bool = True) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance; without
    ``transpositions``, Levenshtein's."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if (transpositions and prev2 is not None and i > 1 and j > 1 and ca == b[j - 2]
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
    """The words of an index's ``vocab`` field in memory, each with its
    count of every character the words use (for MedQuAD's 30,663 words:
    3 MB), to find a word's close spellings without walking the index's
    terms: a walk costs 70-240 ms a word on MedQuAD.

    The counts of two words N edits apart differ by at most 2N in all (an
    edit changes at most two counts by one), so only the few words within
    that bound have their distance computed."""

    def __init__(self, reader) -> None:
        self.words = [w.decode("utf-8") for w in reader.lexicon("vocab")]  # sorted
        alphabet = sorted(set().union(*self.words))
        self._column = {c: n for n, c in enumerate(alphabet)}
        self._counts = np.zeros((len(self.words), len(alphabet)), dtype=np.int16)
        for row, word in enumerate(self.words):
            for c in word:
                self._counts[row, self._column[c]] += 1
        self._lengths = np.array([len(w) for w in self.words], dtype=np.int64)
        # The words beginning with each character: a run of the sorted list.
        self._runs: dict[str, tuple[int, int]] = {}
        for row, word in enumerate(self.words):
            begin, _ = self._runs.get(word[0], (row, row))
            self._runs[word[0]] = (begin, row + 1)

    def within(self, word: str, edits: int, transpositions: bool) -> set[str]:
        """The words that begin as ``word`` does and are at most ``edits``
        insertions, deletions or substitutions from it (a transposed pair
        one edit too, with ``transpositions``): what Whoosh's
        ``terms_within(field, word, edits, prefix=1)`` finds, and the
        transpositions its automaton counts as two edits."""
        if not word:
            return set()
        begin, end = self._runs.get(word[0], (0, 0))
        counts = np.zeros(self._counts.shape[1], dtype=np.int16)
        others = 0  # characters no word uses: each costs an edit
        for c in word:
            if c in self._column:
                counts[self._column[c]] += 1
            else:
                others += 1
        near = np.abs(self._counts[begin:end] - counts).sum(axis=1) + others <= 2 * edits
        near &= np.abs(self._lengths[begin:end] - len(word)) <= edits
        found = set()
        for row in np.flatnonzero(near):
            candidate = self.words[begin + row]
            if edit_distance(word, candidate, transpositions) <= edits:
                found.add(candidate)
        return found


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
    if vocabulary is not None:
        candidates = vocabulary.within(word, edits, transpositions)
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
