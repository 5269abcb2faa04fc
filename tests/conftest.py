"""Shared fixtures of the test suite (what test modules import is in
tests/support.py).

Builds and searches use the small hashed model (tests/hashed_model.py)
unless a test is about meaning: those ask for ``meaning_model`` and an
index built with it, and search with ``real_queries``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import jinja2
import pytest

from support import (FAILED_CALL, GARD, GHR, HASHED_MODEL, MEDQUAD_CREDIT, READ_AT_URL, SEED_TEXT,
                     TOE_ID, KbRunner, kb_serve, write_web_kb)

# A build waits for files changed within its settle window before reading
# them again (2 s in production); the suite writes and builds at once, over
# and over, so it waits 0.05 s: still ten times the coarsest file-time tick
# (10 ms), so a file rewritten after a build always has a new stamp. Tests
# of a build that race an editor's save set their own window
# (tests/test_build_reading.py). At 0.25 s the suite slept about 25 s of
# its time in these waits (test_bad_files, test_generations, test_build and
# test_serve_update: 26 s, against 15 s at 0.05). Set here so `kb`
# subprocesses inherit it.
os.environ.setdefault("KB_SETTLE_SECONDS", "0.05")


@pytest.fixture(scope="session", autouse=True)
def hashed_queries():
    """Queries are embedded by the model that embedded the passages: the
    hashed one, unless a test asks for ``real_queries``."""
    from index.meaning import fusion

    fusion.use_query_model(HASHED_MODEL)
    yield
    fusion.use_query_model(None)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates kept in memory for every app the suite
    makes (a jinja2 ``BytecodeCache``): each test makes its own app, and
    each app compiled every template it rendered again, about a tenth of
    the suite's time. The key is the template's name and its source's
    checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[tuple[str, str], bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def compiled_templates():
    """Every Flask app of the suite shares one cache of compiled templates."""
    from flask import Flask

    original = Flask.jinja_options
    Flask.jinja_options = {**original, "bytecode_cache": _CompiledTemplates()}
    yield
    Flask.jinja_options = original


@pytest.fixture(scope="session", autouse=True)
def no_fsync():
    """Durability is moot in tmp_path: writes in the suite's own process
    skip fsync (3,100 calls, about 3 s of the suite). Tests of a failing
    fsync set their own; `kb` processes the tests start sync as shipped."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        yield


@pytest.fixture(scope="session")
def hashed_model():
    """The small deterministic model of the tests not about meaning."""
    return HASHED_MODEL


@pytest.fixture(scope="session")
def meaning_model():
    """The shipped embedding model, for the tests about meaning."""
    from index.meaning import embedding

    return embedding.embedder()


@pytest.fixture(scope="module")
def real_queries():
    """Queries embedded by the shipped model while the test module runs
    (its indexes are built with ``meaning_model``)."""
    from index.meaning import fusion

    fusion.use_query_model(None)
    yield
    fusion.use_query_model(HASHED_MODEL)


# --- The command line and the one error shape ---------------------------------

@pytest.fixture
def runner():
    """A click runner for `kb` commands (stdout and stderr kept apart),
    building with the hashed model."""
    return KbRunner()


# --- Search index: the seed article, small hand-made articles, built indexes -


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
    from index.building.build import build_index

    folder = tmp_path_factory.mktemp("seed-index")
    build_index([seed_article], folder, model=HASHED_MODEL)
    return folder


@pytest.fixture(scope="session")
def seed_meaning_index_dir(tmp_path_factory, seed_article, meaning_model) -> Path:
    """An index of the seed article with the shipped model's vectors, for
    the tests about meaning; never write to it."""
    from index.building.build import build_index

    folder = tmp_path_factory.mktemp("seed-meaning-index")
    build_index([seed_article], folder, model=meaning_model)
    return folder


@pytest.fixture(scope="module")
def seed_search(seed_index_dir):
    """A SearchIndex over ``seed_index_dir``, shared by a test module and
    closed after it; a test that closes or rebuilds makes its own."""
    from index.reading.search import SearchIndex

    engine = SearchIndex(seed_index_dir)
    yield engine
    engine.close()


# --- Web site: a knowledge base on disk, its index, the app, a live server ---
# Used by tests/test_web_*.py; the knowledge base is described in
# tests/support.py.

@pytest.fixture(scope="session")
def toe_article():
    from kb.article import Article, Section, Source

    return Article(
        TOE_ID, "Why Does My Big Toe Nail Hurt",
        (Section("fact", number=1, heading="Ingrown Toenails",
                 text="An ingrown toenail grows into the skin beside the nail "
                      "and makes the big toe sore, red and swollen."),
         Section("question", number=1, question="What is a fungal nail infection?",
                 answer="A fungus growing in or under the nail; the nail "
                        "thickens and turns yellow."),
         Section("question", number=2, question="How are toenail fungus infections treated?",
                 answer="", url=READ_AT_URL)),
        source=Source(path="0000001.xml", sha256="0" * 64,
                      url="https://medlineplus.gov/toenailinjuries.html",
                      credit=MEDQUAD_CREDIT))


@pytest.fixture(scope="session")
def web_kb_dir(tmp_path_factory, seed_article, toe_article) -> Path:
    """The web tests' knowledge base; read-only (copy it to change it)."""
    return write_web_kb(tmp_path_factory.mktemp("web-kb"), [seed_article, toe_article])


@pytest.fixture(scope="session")
def web_index_dir(tmp_path_factory, web_kb_dir) -> Path:
    from index.building.build import build_index
    from kb.store import check_knowledge_base

    articles, problems = check_knowledge_base(web_kb_dir)
    assert not problems
    folder = tmp_path_factory.mktemp("web-index")
    build_index(articles, folder, model=HASHED_MODEL)
    return folder


@pytest.fixture
def make_app():
    """``make_app(kb_dir, index_dir)``: an app in testing mode; every app
    made is closed (its index's files) after the test."""
    from webapp import create_app
    from webapp.search import close_index

    made = []

    def make(kb_dir: Path, index_dir: Path):
        app = create_app({"TESTING": True, "KB_DIR": str(kb_dir),
                          "INDEX_DIR": str(index_dir)})
        made.append(app)
        return app
    yield make
    for app in made:
        close_index(app)


@pytest.fixture
def app(make_app, web_kb_dir, web_index_dir):
    return make_app(web_kb_dir, web_index_dir)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, web_kb_dir) -> Iterator[str]:
    """The site over the web knowledge base, served by `kb serve`."""
    with kb_serve(tmp_path_factory.mktemp("live-server"), web_kb_dir) as url:
        yield url


# --- A MedQuAD-like knowledge base of a few hundred articles (tests/medquad_like.py)

@pytest.fixture(scope="session")
def medquad_like_kb_dir(tmp_path_factory) -> Path:
    from medquad_like import medquad_like_articles

    return write_web_kb(tmp_path_factory.mktemp("medquad-like-kb"), medquad_like_articles())


@pytest.fixture(scope="session")
def medquad_like_index_dir(tmp_path_factory, medquad_like_kb_dir) -> Path:
    from index import build_index
    from kb.store import load_knowledge_base

    folder = tmp_path_factory.mktemp("medquad-like-index")
    build_index(load_knowledge_base(medquad_like_kb_dir), folder, model=HASHED_MODEL)
    return folder


@pytest.fixture(scope="session")
def medquad_like_server(tmp_path_factory, medquad_like_kb_dir) -> Iterator[str]:
    with kb_serve(tmp_path_factory.mktemp("medquad-like-server"), medquad_like_kb_dir) as url:
        yield url


# --- The article list: a knowledge base of a few hundred articles -------------

@pytest.fixture(scope="session")
def list_kb(tmp_path_factory, make_article):
    """250 articles under several letters, two pairs sharing a title."""
    from dataclasses import replace

    from index.building.build import build_index
    from kb.article import Source

    def source(url):
        return Source(path="x.xml", sha256="0" * 64, url=url)
    articles = [make_article(f"topic-{n:03d}", f"{'ABCDE'[n % 5]}topic {n:03d}",
                             questions=[("What is it?", "A topic.")]) for n in range(246)]
    articles += [
        make_article("glaucoma-ghr", "Glaucoma", questions=[("What is glaucoma?", "An eye disease.")]),
        make_article("glaucoma-gard", "Glaucoma", questions=[("What is glaucoma?", "Raised pressure.")]),
        make_article("zinc", "Zinc", questions=[("What is zinc?", "A metal.")]),
        make_article("ten-ways", "10 ways to sleep", questions=[("How?", "Rest.")]),
    ]
    articles[-4] = replace(articles[-4], source=source(GHR))
    articles[-3] = replace(articles[-3], source=source(GARD))
    kb_dir, index_dir = tmp_path_factory.mktemp("list-kb"), tmp_path_factory.mktemp("list-index")
    write_web_kb(kb_dir, articles)
    build_index(articles, index_dir, model=HASHED_MODEL)
    return kb_dir, index_dir


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[FAILED_CALL] = report.failed
    return report


# --- The command line, in this process ------------------------------------------------

@pytest.fixture
def kb_cli():
    """``kb_cli(*args)``: run a kb command through click's CliRunner; the
    result has ``exit_code``, ``stdout`` and ``stderr``. Fails on a
    traceback: every error must be one line."""
    from kb.cli import main

    def run(*args):
        result = KbRunner().invoke(main, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert "Traceback" not in result.output
        return result
    return run
