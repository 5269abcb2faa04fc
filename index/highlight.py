"""Snippets with ``<mark>`` around matched words; everything else escaped.

A word is marked when its index term is one the query searched for —
the query's own words and also their typo corrections and synonyms — so a
reader sees why a passage matched. Analysis is the index's own, so "laying"
in a query marks "lying" in the text.
"""
from __future__ import annotations

import re
from html import escape
from typing import Collection

from index.analysis import text_analyzer

SNIPPET_CHARS = 300
_ANALYZER = text_analyzer()
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def _marked_spans(text: str, terms: Collection[str]) -> list[tuple[int, int, str]]:
    if not terms:
        return []
    return [(t.startchar, t.endchar, t.text)
            for t in _ANALYZER(text, chars=True, positions=False)
            if t.text in terms]


def mark(text: str, terms: Collection[str]) -> str:
    """All of ``text`` as HTML, every matched word in ``<mark>``."""
    return _render(text, _marked_spans(text, terms), 0, len(text))


def snippet(text: str, terms: Collection[str], max_chars: int = SNIPPET_CHARS) -> str:
    """The best sentence or two of ``text`` (at most about ``max_chars``) as
    HTML with matched words marked; the opening when nothing matches."""
    spans = _marked_spans(text, terms)
    sentences = _sentences(text)
    best, best_score = (0, 0), (-1.0,)
    for i, (start, end) in enumerate(sentences):
        for j in (i, i + 1):
            if j >= len(sentences):
                continue
            s, e = start, sentences[j][1]
            if j > i and e - s > max_chars:
                continue
            inside = [sp for sp in spans if s <= sp[0] < e]
            score = (len({sp[2] for sp in inside}) + 0.1 * len(inside), -i, -(j - i))
            if score > best_score:
                best, best_score = (s, e), score
    start, end = best
    if end - start > max_chars:
        start, end = _trim(text, spans, start, end, max_chars)
    html = _render(text, spans, start, end)
    if start > 0:
        html = "… " + html
    if end < len(text.rstrip()):
        html += " …"
    return html


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            bounds.append((start, m.start()))
        start = m.end()
    if start < len(text.rstrip()):
        bounds.append((start, len(text.rstrip())))
    return bounds or [(0, len(text))]


def _trim(text: str, spans, start: int, end: int, max_chars: int) -> tuple[int, int]:
    """Cut a long sentence to ``max_chars`` around its first matched word,
    at word boundaries."""
    first = next((sp[0] for sp in spans if start <= sp[0] < end), start)
    new_start = max(start, first - max_chars // 3)
    if new_start > start:
        space = text.find(" ", new_start)
        new_start = space + 1 if 0 <= space < first else new_start
    new_end = min(end, new_start + max_chars)
    if new_end < end:
        space = text.rfind(" ", new_start, new_end)
        new_end = space if space > new_start else new_end
    return new_start, new_end


def _render(text: str, spans, start: int, end: int) -> str:
    out, pos = [], start
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s], quote=True))
        out.append("<mark>" + escape(text[s:e], quote=True) + "</mark>")
        pos = e
    out.append(escape(text[pos:end], quote=True))
    return "".join(out)
