"""The one schema of the passage index.

One document per passage. ``heading`` is the fact heading or the question
(the article title for an intro or conclusion), ``body`` the fact text or
answer (or the intro/conclusion text); both are searched, the heading
weighted above the body. The article title is stored, not searched: every
passage of an article would match it alike, and the intro and conclusion
already carry it as their heading. ``related`` keeps the article's "See also" topics as
``[title, id-or-None]`` pairs so every hit carries them. ``vocab`` holds each distinct word of the article once, lower case and
unstemmed, on the article's first passage only (never stored): it is the
vocabulary that typo tolerance and completion draw on, and its document
frequency counts articles.
"""
from __future__ import annotations

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from index.understanding.analysis import text_analyzer

# Query-time weights of the searched fields (see index/reading/search.py).
FIELD_BOOSTS = {"heading": 3.0, "body": 1.0}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)


def passage_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        article_id=ID(stored=True),
        kind=ID(stored=True),
        number=STORED(),
        order=STORED(),
        heading=TEXT(analyzer=analyzer, stored=True),
        body=TEXT(analyzer=analyzer, stored=True),
        title=STORED(),
        url=STORED(),
        related=STORED(),
        # Who the article's content comes from, so a results page names
        # its sources without reading any article file.
        credit=STORED(),
        credit_url=STORED(),
        # Who publishes the passage (its answer's page, else the article's).
        publisher=STORED(),
        # What a question asks (symptoms, treatment, ...), when known: a
        # query that asks the same prefers it, and it is a filter.
        qtype=ID(stored=True),
        # scorable: Whoosh then keeps its length column, which spares a file
        # lookup per posting while writing.
        vocab=KEYWORD(lowercase=True, scorable=True),
    )
