"""Which words of a text to mark, and which part of it to show.

A word is marked when its index term is one the query searched for — the
query's own words and also their typo corrections and synonyms — so a
reader sees why a passage matched. Analysis is the index's own, so "laying"
in a query marks "lying" in the text. The results are offsets (spans); the
front ends turn them into HTML or terminal text.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from typing import Collection

from index.understanding.analysis import term_spans
from index.results import Marked, Span

SNIPPET_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def _term_spans(text: str, terms: Collection[str]) -> list[tuple[int, int, str]]:
    if not terms or not text:
        return []
    return [span for span in term_spans(text) if span[2] in terms]


def spans(text: str, terms: Collection[str]) -> tuple[Span, ...]:
    """The offsets of every word of ``text`` whose term is in ``terms``."""
    return tuple((s, e) for s, e, _ in _term_spans(text, terms))


def mark(text: str, terms: Collection[str]) -> Marked:
    """All of ``text``, every matched word marked."""
    return Marked(text, spans(text, terms))


def snippet(text: str, terms: Collection[str], max_chars: int = SNIPPET_CHARS) -> Marked:
    """The best sentence or two of ``text`` (at most about ``max_chars``)
    with matched words marked; the opening when nothing matches."""
    found = _term_spans(text, terms)
    starts = [sp[0] for sp in found]  # in text order
    sentences = _sentences(text)
    best, best_score = (0, 0), (-1.0,)
    for i, (start, end) in enumerate(sentences):
        for j in (i, i + 1):
            if j >= len(sentences):
                continue
            s, e = start, sentences[j][1]
            if j > i and e - s > max_chars:
                continue
            # The marked words of the window, found by bisection: a long
            # answer has many sentences and many marks.
            inside = found[bisect_left(starts, s):bisect_left(starts, e)]
            score = (len({sp[2] for sp in inside}) + 0.1 * len(inside), -i, -(j - i))
            if score > best_score:
                best, best_score = (s, e), score
    start, end = best
    if end - start > max_chars:
        start, end = _trim(text, found, start, end, max_chars)
    inside = tuple((s - start, e - start) for s, e, _ in found if s >= start and e <= end)
    return Marked(text[start:end], inside, cut_before=start > 0,
                  cut_after=end < len(text.rstrip()))


# A definition on a topic card: its first sentence or two, on a phone
# about six lines.
OPENING_CHARS = 240


def opening(text: str, terms: Collection[str], max_chars: int = OPENING_CHARS) -> Marked:
    """The first sentence or two of ``text`` (at most about ``max_chars``),
    matched words marked: where a definition says what something is."""
    sentences = _sentences(text)
    end = sentences[0][1]
    if len(sentences) > 1 and sentences[1][1] <= max_chars:
        end = sentences[1][1]
    if end > max_chars:
        end = text.rfind(" ", 0, max_chars) if " " in text[:max_chars] else max_chars
    return Marked(text[:end], spans(text[:end], terms), cut_after=end < len(text.rstrip()))


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            bounds.append((start, m.start()))
        start = m.end()
    if start < len(text.rstrip()):
        bounds.append((start, len(text.rstrip())))
    return bounds or [(0, len(text))]


def _trim(text: str, found, start: int, end: int, max_chars: int) -> tuple[int, int]:
    """Cut a long sentence to ``max_chars`` around its first matched word,
    at word boundaries."""
    first = next((sp[0] for sp in found if start <= sp[0] < end), start)
    new_start = max(start, first - max_chars // 3)
    if new_start > start:
        space = text.find(" ", new_start)
        new_start = space + 1 if 0 <= space < first else new_start
    new_end = min(end, new_start + max_chars)
    if new_end < end:
        space = text.rfind(" ", new_start, new_end)
        new_end = space if space > new_start else new_end
    return new_start, new_end
