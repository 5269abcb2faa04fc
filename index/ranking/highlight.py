"""Which words of a text to mark, and which part of it to show.

A word is marked when its index term is one the query searched for — the
query's own words and also their typo corrections and synonyms — so a
reader sees why a passage matched. Analysis is the index's own, so "laying"
in a query marks "lying" in the text. The results are offsets (spans); the
front ends turn them into HTML or terminal text.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Collection

from index.understanding.analysis import term_spans
from index.ranking.sentences import Segment, segments
from index.results import Marked, Span

SNIPPET_CHARS = 300


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
    """The sentence or two of ``text`` (at most about ``max_chars``) with the
    most of the query's words, those words marked; the opening when nothing
    matches.

    A snippet shows answers, never headings: it starts at a sentence and
    ends at one. A heading that has the query's words ("Is Shingles
    Contagious?") says the sentences under it answer the query, so its
    words count for the sentence after it, which the snippet starts at.
    """
    found = _term_spans(text, terms)
    starts = [sp[0] for sp in found]  # in text order

    def words(start: int, end: int) -> list[tuple[int, int, str]]:
        # By bisection: a long answer has many sentences and many marks.
        return found[bisect_left(starts, start):bisect_left(starts, end)]

    parts = segments(text)
    shown = [k for k, part in enumerate(parts) if not part.heading]
    if not shown:  # a question alone, as a link-only passage's text
        shown = list(range(len(parts)))
    best, best_score = (parts[shown[0]].start, parts[shown[0]].end), None
    for n, i in enumerate(shown):
        above = parts[i - 1] if i > 0 and parts[i - 1].heading else None
        lent = words(above.start, above.end) if above else []
        # A snippet starts where the answer does: at a sentence with the
        # query's words, or under a heading with them.
        opens = bool(lent or words(parts[i].start, parts[i].end))
        for j in _window_ends(parts, i, max_chars):
            s, e = parts[i].start, parts[j].end
            inside = words(s, e)
            score = (len({t for *_, t in inside + lent}), len({t for *_, t in lent}),
                     len(inside) + len(lent), opens, -n, i - j)
            if best_score is None or score > best_score:
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
    matched words marked, past any heading it opens with: where a
    definition says what something is."""
    parts = segments(text)
    first = next((k for k, part in enumerate(parts) if not part.heading), 0)
    start, end = parts[first].start, parts[first].end
    after = parts[first + 1] if first + 1 < len(parts) else None
    if after is not None and not after.heading and after.end - start <= max_chars:
        end = after.end
    if end - start > max_chars:
        space = text.rfind(" ", start, start + max_chars)
        end = space if space > start else start + max_chars
    shown = text[start:end]
    # Only a heading goes before a definition's first sentence: nothing
    # of the text is cut there.
    return Marked(shown, spans(shown, terms), cut_after=end < len(text.rstrip()))


def _window_ends(parts: list[Segment], first: int, max_chars: int) -> list[int]:
    """The segments a snippet starting at ``first`` may end at: that sentence
    or the next, never across a heading, and never at a question that is
    not the text's last (its answer comes next, so it runs on to it)."""
    ends, sentences = [], 0
    for j in range(first, len(parts)):
        part = parts[j]
        if part.heading and j > first:
            break
        if j > first and part.end - parts[first].start > max_chars:
            break
        if not part.asks:
            sentences += 1
        if not part.asks or j == len(parts) - 1:
            ends.append(j)
        if sentences == 2:
            break
    return ends or [first]


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
