"""Corrections found in the index's vocabulary held in memory
(index/understanding/spelling.py ``Vocabulary``) are those a walk of the
index's terms finds."""
from __future__ import annotations

import random

from whoosh import index as whoosh_index

from index import generations
from index.understanding import spelling
from index.understanding.query_plan import PASSAGE_FIELDS


def _misspellings(words: list[str], rng: random.Random) -> list[str]:
    """One-edit misspellings of ``words`` (letters dropped, doubled,
    swapped, replaced), English words and four-letter words among them."""
    made = ["wife", "grandson", "nobody", "tird", "syndrom", "treatmnt", "anixety", "paln"]
    for word in words:
        i = rng.randrange(1, len(word))
        made += [word[:i] + word[i + 1:], word[:i] + word[i] + word[i:],
                 word[:i] + rng.choice("aeiourst") + word[i + 1:]]
        if i + 1 < len(word):
            made.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    return made


def test_corrections_from_the_vocabulary_are_those_the_walk_finds(
        medquad_like_index_dir):
    ix = whoosh_index.open_dir(str(generations.current_generation(medquad_like_index_dir)),
                               readonly=True)
    with ix.reader() as reader:
        vocabulary = spelling.Vocabulary(reader)
        words = sorted(w for w in vocabulary.words if 4 <= len(w) <= 9 and w.isalpha())
        sample = random.Random(3).sample(words, min(150, len(words)))
        typed = [w for w in _misspellings(sample, random.Random(4))
                 if w not in vocabulary.words and spelling.max_edits(w)]
        typed += [w[:2] + w[3:5] + w[6:] for w in words if len(w) >= 8][:40]  # two edits
        walked = {w: spelling.corrections(w, reader, PASSAGE_FIELDS) for w in typed}
        looked_up = {w: spelling.corrections(w, reader, PASSAGE_FIELDS, vocabulary)
                     for w in walked}
    assert sum(1 for found in walked.values() if found) >= 60
    assert looked_up == walked
