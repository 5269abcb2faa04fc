"""The names of an article's topic: its title and the title's synonyms.

Articles whose titles share a name are one topic, whichever source
publishes them: the results page shows them as one card, the topic card
lists them as one topic's sources, and an answerless passage ranks below
the answer of its topic under any of its names.
"""
from __future__ import annotations

from index.understanding.analysis import folded


def topic_names(title: str, synonyms) -> set[str]:
    """The names of a title's topic: the title and its synonyms
    (kb/synonyms.py), as words compare."""
    names = {folded(title)}
    if synonyms is not None:
        names.update(folded(other) for other in synonyms.lookup(title))
    return names - {""}


def topic_key(title: str, synonyms) -> str:
    """One key for a title and every title synonymous with it."""
    return min(topic_names(title, synonyms) or {""})
