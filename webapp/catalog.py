"""The article list: articles by first letter, a page at a time, each
article told apart from others of the same title.

Built from the index's manifest (``SearchIndex.articles()``), so listing
ten thousand articles reads no article file.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from index import ArticleEntry
from kb.sources import page_address, source_name

PER_PAGE = 100
# The group of titles that start with no letter A-Z (digits, symbols).
OTHER = "#"


@dataclass(frozen=True)
class Listed:
    """An article as the list shows it; ``detail`` tells it from articles
    of the same title (None when its title is its own)."""
    id: str
    title: str
    detail: str | None = None


@dataclass(frozen=True)
class Catalog:
    articles: tuple[Listed, ...]           # every article, by title
    letters: tuple[tuple[str, int], ...]   # the letters that have articles, with counts

    def letter(self, asked: str) -> str | None:
        """``asked`` as one of the list's letters (any case), else None:
        all articles."""
        asked = asked.strip().upper()
        return asked if asked in dict(self.letters) else None

    def with_letter(self, letter: str | None) -> tuple[Listed, ...]:
        if letter is None:
            return self.articles
        return tuple(a for a in self.articles if letter_of(a.title) == letter)


@dataclass(frozen=True)
class Page:
    articles: tuple[Listed, ...]
    page: int
    last_page: int
    total: int


def letter_of(title: str) -> str:
    """The index letter of a title: its first letter A-Z, accents removed
    ("Écho" under E), else OTHER."""
    first = title[:1].upper()
    if "A" <= first <= "Z":
        return first
    for char in unicodedata.normalize("NFKD", title):
        if char.isalnum():
            upper = char.upper()
            return upper if "A" <= upper <= "Z" else OTHER
    return OTHER


def _details(entries: Sequence[ArticleEntry]) -> list[str | None]:
    """What tells each article from others of its title: the source's
    name; where that is shared too, the page's address; the article id for
    an article with no source page."""
    keys = [e.title.casefold() for e in entries]
    titles = Counter(keys)
    # Only articles sharing a title need a name (a tenth of MedQuAD's).
    named = [source_name(e.source_url) if titles[key] > 1 else None
             for e, key in zip(entries, keys)]
    pairs = Counter(zip(keys, named))
    details: list[str | None] = []
    for entry, key, name in zip(entries, keys, named):
        if titles[key] == 1:
            details.append(None)
        elif name is None:
            details.append(entry.id)
        elif pairs[(key, name)] > 1:
            details.append(f"{name}: {page_address(entry.source_url)}")
        else:
            details.append(name)
    return details


def catalog(entries: Sequence[ArticleEntry]) -> Catalog:
    """The list of ``entries`` (in the order given: by title)."""
    listed = tuple(Listed(e.id, e.title, d) for e, d in zip(entries, _details(entries)))
    counts = Counter(letter_of(a.title) for a in listed)
    letters = tuple(sorted(counts.items()))  # OTHER first, as in the list
    return Catalog(listed, letters)


def page_of(articles: Sequence[Listed], page: int, per_page: int = PER_PAGE) -> Page:
    """One page of ``articles``; a page past the end is the last one."""
    last = max(1, -(-len(articles) // per_page))
    page = min(max(1, page), last)
    start = (page - 1) * per_page
    return Page(tuple(articles[start:start + per_page]), page, last, len(articles))
