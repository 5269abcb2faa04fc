"""Reading a reader's query string. Any string is a valid query.

The syntax is small on purpose: plain words, ``"quoted phrases"`` and
``-exclusions`` (``-word`` or ``-"a phrase"``). Everything else — unbalanced
quotes or parentheses, operators, ``field:`` prefixes, ``*`` and ``?`` — is
read as plain words, so nothing a reader types raises an error or silently
turns into a wildcard. Queries are cut at MAX_QUERY_CHARS characters and
MAX_QUERY_WORDS words.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from index.understanding.analysis import vocabulary_words

MAX_QUERY_CHARS = 300
MAX_QUERY_WORDS = 32

# A quoted span, optionally negated; or a bare token, optionally negated.
_PIECE = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass
class ParsedQuery:
    text: str                       # the query as cleaned and cut
    words: list[str] = field(default_factory=list)       # plain words, in order
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)  # words or phrases

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases)


def clean_query(raw: str) -> str:
    """Drop control and format characters, fold white space, cut to length."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in raw[:MAX_QUERY_CHARS * 4]
                   if unicodedata.category(c) not in ("Cf", "Cs", "Co"))
    return " ".join(kept.split())[:MAX_QUERY_CHARS].strip()


def parse_query(raw: str) -> ParsedQuery:
    text = clean_query(raw)
    if text.count('"') % 2:  # an unbalanced quote quotes nothing
        text_for_pieces = text[::-1].replace('"', " ", 1)[::-1]
    else:
        text_for_pieces = text
    query = ParsedQuery(text=text)
    budget = MAX_QUERY_WORDS
    for m in _PIECE.finditer(text_for_pieces):
        negated, quoted, bare = m.group(1), m.group(2), m.group(3)
        if quoted is not None:
            words = vocabulary_words(quoted)[:budget]
            if len(words) == 1 and not negated:
                query.words.extend(words)
            elif words:
                (query.excluded if negated else query.phrases).append(words)
        else:
            negated = bare.startswith("-") and len(bare) > 1
            words = vocabulary_words(bare)[:budget]
            if negated and words:
                query.excluded.append(words)
            else:
                query.words.extend(words)
        budget = MAX_QUERY_WORDS - len(query.words) - sum(map(len, query.phrases))
        if budget <= 0:
            break
    return query
