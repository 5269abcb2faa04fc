"""Suggestions for the search box: article titles, fact headings and
questions that a typed prefix begins a word of.

Each generation has one table, made by the build that writes it (the build
has the articles in hand; reading 47,000 headings back from the index would
cost a site process seconds and a hundred megabytes) and published with it
in its folder: every distinct title and heading once (its weight the number
of articles or passages that carry it), and a sorted array of the places a
word starts in them, so a prefix is found by binary search whatever the
size of the knowledge base. A site process loads it on its first
suggestion. A prefix matches where the words
typed begin a title or heading, or continue it from one of its words
("glau" finds "Glaucoma" and "Congenital glaucoma"; "symptoms of gl" finds
"What are the symptoms of Glaucoma?"). A word the index drops as a stop
word starts no match of its own, which halves the table.

The same table names the knowledge base's topics for an empty box: the
titles and fact headings most articles share (``examples``).
"""
from __future__ import annotations

import json
import logging
import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

from index.understanding.analysis import STOP_WORDS, folded
from index.generations import SUGGEST_HEADINGS, SUGGEST_TABLE, GenerationWriter
from kb.medquad_text import tidy_question

log = logging.getLogger(__name__)

# Files of a generation folder: the table the site loads, and the headings
# per article an incremental build carries over.
TABLE_FILE = SUGGEST_TABLE
HEADINGS_FILE = SUGGEST_HEADINGS
TABLE_FORMAT = 1

TITLE, FACT, QUESTION = 0, 1, 2
KIND_NAMES = {TITLE: "title", FACT: "fact", QUESTION: "question"}
MIN_PREFIX = 2
# A prefix as short as "di" starts thousands of words: rank at most this
# many of them (in alphabetical order, so the choice is stable).
MAX_SCAN = 3000
# Keys are compared on this many characters; longer ones sort as equal.
KEY_CHARS = 48
# Typed text beyond this is no prefix of any title or heading worth reading.
MAX_TYPED = 300
# A topic offered as an example is a name, not a sentence.
EXAMPLE_MAX_WORDS = 4

_WORD_START = re.compile(r"(?<!\w)\w")
@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # "title", "fact" or "question"


class SuggestTable:
    """The suggestions of one generation (see the module docstring)."""

    def __init__(self, entries: list[tuple[str, int, int]], text: str,
                 offsets: array) -> None:
        self._entries = entries   # (text shown, kind, weight)
        # Every normalised entry, "\n"-separated, in the order of _entries;
        # _offsets are the places a word starts in it, sorted by what follows.
        self._text = text
        self._offsets = offsets
        self._starts = array("i", [0])   # where each entry starts in _text
        at = text.find("\n")
        while 0 <= at < len(text) - 1:
            self._starts.append(at + 1)
            at = text.find("\n", at + 1)
        self._examples = self._topics()

    @classmethod
    def build(cls, titles: list[str], facts: list[str], questions: list[str]) -> SuggestTable:
        shown: dict[str, list] = {}   # normalised -> [text, kind, weight]
        for kind, texts in ((TITLE, titles), (FACT, facts), (QUESTION, questions)):
            for text in texts:
                key = folded(text)
                if not key:
                    continue
                entry = shown.get(key)
                if entry is None:
                    # Shown as the knowledge base writes them, but for MedQuAD's
                    # template remnants.
                    shown[key] = [tidy_question(text), kind, 1]
                else:
                    entry[2] += 1
                    # A title keeps its kind when a heading repeats it.
                    entry[1] = min(entry[1], kind)
        text = "\n".join(shown) + "\n"
        offsets, at = [], 0
        for key in shown:
            for word in _WORD_START.finditer(key):
                if word.start() == 0 or key[word.start():].split(" ", 1)[0] not in STOP_WORDS:
                    offsets.append(at + word.start())
            at += len(key) + 1
        offsets.sort(key=lambda o: text[o:o + KEY_CHARS])
        return cls([tuple(e) for e in shown.values()], text, array("i", offsets))

    def to_json(self) -> dict:
        return {"format": TABLE_FORMAT, "entries": self._entries, "text": self._text,
                "offsets": self._offsets.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> SuggestTable:
        if data.get("format") != TABLE_FORMAT:
            raise ValueError(f"suggestion table format {data.get('format')!r}")
        return cls([tuple(e) for e in data["entries"]], data["text"],
                   array("i", data["offsets"]))

    def __len__(self) -> int:
        return len(self._entries)

    def suggest(self, typed: str, limit: int) -> list[Suggestion]:
        """The best ``limit`` entries that ``typed`` begins a word of.

        Best: matching from the first word before matching from a later
        one, then the most shared (by articles or passages), titles before
        fact headings before questions, the shortest, alphabetical.
        """
        prefix = folded(typed[:MAX_TYPED])
        if len(prefix) < MIN_PREFIX or limit < 1:
            return []
        # The keys are sorted on their first KEY_CHARS characters only.
        head = prefix[:KEY_CHARS]
        text, n = self._text, len(head)
        key = lambda o: text[o:o + n]  # noqa: E731 (bisect's key)
        lo = bisect_left(self._offsets, head, key=key)
        hi = min(bisect_right(self._offsets, head, lo=lo, key=key), lo + MAX_SCAN)
        ranked: dict[int, tuple] = {}
        for offset in self._offsets[lo:hi]:
            if len(prefix) > n and not text.startswith(prefix, offset):
                continue
            index = bisect_right(self._starts, offset) - 1
            text_shown, kind, weight = self._entries[index]
            rank = (offset != self._starts[index], -weight, kind, len(text_shown), text_shown)
            if index not in ranked or rank < ranked[index]:
                ranked[index] = rank
        best = sorted(ranked.items(), key=lambda item: item[1])[:limit]
        return [Suggestion(self._entries[i][0], KIND_NAMES[self._entries[i][1]])
                for i, _ in best]

    def examples(self, limit: int) -> list[str]:
        return self._examples[:limit]

    def _topics(self, keep: int = 20) -> list[str]:
        """Titles and fact headings of a few words, those most articles
        share first; none sharing a word with one before, so the examples
        show the range of the knowledge base."""
        candidates = sorted(
            (entry for entry in self._entries
             if entry[1] != QUESTION and len(entry[0].split()) <= EXAMPLE_MAX_WORDS),
            key=lambda e: (-e[2], e[1], len(e[0]), e[0].casefold()))
        chosen: list[str] = []
        used: set[str] = set()
        for text, _, _ in candidates:
            words = set(folded(text).split()) - STOP_WORDS
            if words & used:
                continue
            chosen.append(text)
            used |= words
            if len(chosen) == keep:
                break
        return chosen


def article_headings(article) -> list[list]:
    """The fact headings and questions of one article, as [kind, text]."""
    return [[FACT if p.kind == "fact" else QUESTION, p.heading]
            for p in article.passages() if p.kind in ("fact", "question") and p.heading]


def publish(writer: GenerationWriter, base: Path | None, titles: list[str],
            changed: list, removed: list[str], read_all,
            base_titles: dict[str, str] | None = None) -> None:
    """Hand the table of the generation being built to its writer.

    The headings of articles not rebuilt come from ``base``'s headings
    file; ``read_all()`` gives every article's headings (from the index
    just written) when ``base`` has none. When no article came or went and
    the changed ones kept their titles (``base_titles``: the base's, by
    article id) and headings, the base's table is the table: its files,
    linked from the base, stay (an edited answer costs no rebuild of it,
    1.6 s for MedQuAD).
    """
    headings = _read_json(base / HEADINGS_FILE) if base is not None else {}
    if headings is None or headings.get("format") != TABLE_FORMAT:
        by_article = read_all()
    else:
        by_article = headings["articles"]
        if not removed and base_titles is not None and all(
                base_titles.get(a.id) == a.title and by_article.get(a.id) == article_headings(a)
                for a in changed):
            return
        for article_id in removed:
            by_article.pop(article_id, None)
        for article in changed:
            by_article[article.id] = article_headings(article)
    facts = [text for hs in by_article.values() for kind, text in hs if kind == FACT]
    questions = [text for hs in by_article.values() for kind, text in hs if kind == QUESTION]
    table = SuggestTable.build(titles, facts, questions)
    writer.put_suggestions(_json(table.to_json()),
                           _json({"format": TABLE_FORMAT, "articles": by_article}))


def headings_from_reader(reader) -> dict[str, list[list]]:
    """Every article's headings, read back from a Whoosh index."""
    by_article: dict[str, list[list]] = {}
    for _, fields in reader.iter_docs():
        kind = fields.get("kind")
        if kind in ("fact", "question") and fields.get("heading"):
            by_article.setdefault(fields["article_id"], []).append(
                [FACT if kind == "fact" else QUESTION, fields["heading"]])
    return by_article


def _read_json(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_table(generation: Path, titles: dict[str, str]) -> SuggestTable:
    """The table of the generation folder ``generation``. A generation built
    before tables existed suggests its ``titles`` only, until the next
    build."""
    data = _read_json(generation / TABLE_FILE)
    if data is not None:
        return SuggestTable.from_json(data)
    log.warning("suggestions of %s: no table (built before suggestions were); "
                "titles only until the next `kb index`", generation)
    return SuggestTable.build(list(titles.values()), [], [])
