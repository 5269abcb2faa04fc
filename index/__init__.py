"""The search engine: every Whoosh call of kb lives in this package.

Callers outside it import only what is exported here: building and checking
the index, the searcher, and the values a search returns.
"""
from index.build import BuildReport, build_index, index_status, sync_index
from index.generations import check_index
from index.query import MAX_QUERY_CHARS, clean_query
from index.highlight import mark
from index.results import (EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, ArticleEntry, Hit,
                           Marked, SearchResponse, Span, Topic)
from index.search import (DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, MAX_RESULT_WINDOW,
                          SearchIndex, SearchRequest)

__all__ = [
    "ArticleEntry", "BuildReport", "DEFAULT_PER_PAGE", "EMPTY_QUERY", "Hit",
    "MAX_PAGE", "MAX_PER_PAGE", "MAX_QUERY_CHARS", "MAX_RESULT_WINDOW", "Marked",
    "NO_MATCH", "SearchIndex", "SearchRequest", "SearchResponse", "Span", "Topic",
    "UNKNOWN_WORDS", "build_index", "check_index", "clean_query", "index_status", "mark",
    "sync_index",
]
