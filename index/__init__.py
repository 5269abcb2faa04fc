"""The search engine: every Whoosh call of kb lives in this package.

Callers outside it import only what is exported here: building and checking
the index, the searcher and its snapshots, and the values a search returns.
"""
from index.understanding.query import MAX_QUERY_CHARS, clean_query
from index.ranking.highlight import mark
from index.understanding.analysis import folded
from index.ranking.answers import answered, question_key
from index.requests import (DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, MAX_RESULT_WINDOW,
                            PoolRequest, SearchRequest, check_filters, check_page,
                            check_per_article)
from index.results import (COMMON_WORDS, EMPTY_QUERY, NO_MATCH, UNKNOWN_WORDS, ArticleEntry, ArticleResult,
                           Hit, Marked, Pool, Ranked, SearchResponse, Source, Span, Topic,
                           TopicAnswer, TopicCard)
from index.reading.search import SearchIndex
from index.reading.snapshot import Snapshot, response_of

# Building is imported on first use: a search (`kb search`, a worker) never
# pays for the writing side's imports (about 150 ms).
_BUILDING = {"BuildReport": "index.building.build", "build_index": "index.building.build",
             "index_status": "index.building.build", "sync_index": "index.building.build",
             "check_index": "index.generations", "default_model": "index.meaning.vectors"}


def __getattr__(name: str):
    if name in _BUILDING:
        import importlib

        return getattr(importlib.import_module(_BUILDING[name]), name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")


__all__ = [
    "ArticleEntry", "ArticleResult", "BuildReport", "COMMON_WORDS", "DEFAULT_PER_PAGE", "EMPTY_QUERY",
    "Hit", "MAX_PAGE", "MAX_PER_PAGE", "MAX_QUERY_CHARS", "MAX_RESULT_WINDOW", "Marked",
    "NO_MATCH", "Pool", "PoolRequest", "Ranked", "SearchIndex", "SearchRequest",
    "SearchResponse", "Snapshot", "Source", "Span", "Topic", "TopicAnswer", "TopicCard", "UNKNOWN_WORDS", "answered",
    "build_index", "check_filters", "check_index", "check_page", "check_per_article", "clean_query", "default_model",
    "folded", "index_status", "mark", "question_key", "response_of", "sync_index",
]
