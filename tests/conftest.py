"""Shared fixtures of the test suite."""
from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


# --- Search index: the seed article, small hand-made articles, built indexes -

SEED_TEXT = FIXTURES / "seed" / "why-does-my-leg-go-numb-when-i-lay-down.txt"


@pytest.fixture(scope="session")
def seed_article():
    """The seed article, parsed from its text."""
    from kb.parse import parse_article

    return parse_article(SEED_TEXT.read_text(encoding="utf-8")).article


@pytest.fixture(scope="session")
def make_article():
    """A factory of small articles: ``make_article(id, title, facts=[(heading,
    text), ...], questions=[(question, answer), ...], intro=..., related=...)``."""
    from kb.article import Article, RelatedTopic, Section

    def make(article_id: str, title: str, *, facts=(), questions=(), intro=None,
             conclusion=None, related=()):
        sections = []
        if intro:
            sections.append(Section("intro", text=intro))
        sections += [Section("fact", number=n, heading=h, text=t)
                     for n, (h, t) in enumerate(facts, 1)]
        sections += [Section("question", number=n, question=q, answer=a)
                     for n, (q, a) in enumerate(questions, 1)]
        if conclusion:
            sections.append(Section("conclusion", text=conclusion))
        topics = tuple(r if isinstance(r, RelatedTopic) else RelatedTopic(r)
                       for r in related)
        return Article(article_id, title, tuple(sections), topics)
    return make


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory, seed_article) -> Path:
    """An index of the seed article alone, built once; never write to it."""
    from index.build import build_index

    folder = tmp_path_factory.mktemp("seed-index")
    build_index([seed_article], folder)
    return folder


@pytest.fixture
def seed_search(seed_index_dir):
    """A SearchIndex over ``seed_index_dir``, closed after the test."""
    from index.search import SearchIndex

    engine = SearchIndex(seed_index_dir)
    yield engine
    engine.close()
