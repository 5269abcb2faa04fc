"""Shared fixtures of the test suite."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent

# A build waits for files changed within its settle window before reading
# them again (2 s in production); the suite writes and builds at once, over
# and over, so it waits 0.25 s. Set here so `kb` subprocesses inherit it;
# tests of the window itself set their own (tests/test_build_reading.py).
os.environ.setdefault("KB_SETTLE_SECONDS", "0.25")


# --- The command line and the one error shape ---------------------------------

@pytest.fixture
def runner():
    """A click runner for `kb` commands (stdout and stderr kept apart)."""
    from click.testing import CliRunner

    return CliRunner()


def assert_error(response, status: int) -> str:
    """The one error shape of every endpoint: {"error": {"status": N,
    "message": "..."}}, with no trace of the code. Returns the message."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message"}
    assert body["error"]["status"] == status
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    assert "Traceback" not in response.get_data(as_text=True)
    return message


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
    from index.building.build import build_index

    folder = tmp_path_factory.mktemp("seed-index")
    build_index([seed_article], folder)
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
# Used by tests/test_web_*.py. The knowledge base holds the seed article and
# a small MedQuAD-style article (credit, source link, a question answered
# only at its source) named like one of the seed's "See also" topics, so a
# related topic can link to an article.

TOE_ID = "why-does-my-big-toe-nail-hurt"
MEDQUAD_CREDIT = "MedQuAD, U.S. National Library of Medicine"
READ_AT_URL = "https://medlineplus.gov/ency/article/001230.htm"
CHROMIUM = Path("/usr/bin/chromium")
# What every response of the site must carry (pinned here, not imported).
EXPECTED_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


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


def write_web_kb(folder: Path, articles) -> Path:
    from kb.store import write_article

    for article in articles:
        write_article(article, folder)
    return folder


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
    build_index(articles, folder)
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


@contextlib.contextmanager
def kb_serve(work: Path, kb_dir: Path) -> Iterator[str]:
    """`kb serve` in a subprocess, on a free port (``--port 0``: the server
    picks one and prints it), over a copy of ``kb_dir`` and an index it
    builds itself in ``work``. Yields the base URL; stopped at the end."""
    copy = work / "kb"
    shutil.copytree(kb_dir, copy)
    server, url = start_kb_serve(["--threads", "4", "--kb-dir", str(copy),
                                  "--index-dir", str(work / "index")], work / "server.log")
    try:
        yield url
    finally:
        stop_kb_serve(server)


def start_kb_serve(args: list[str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """`kb serve --host 127.0.0.1 --port 0 ARGS` in a subprocess, its output
    in ``log_path``: the process and its base URL, once it accepts
    connections."""
    command = Path(sys.executable).parent / "kb"
    if not command.exists():
        pytest.fail(f"the kb command is not installed at {command}; run `make setup-test`")
    env = {k: v for k, v in os.environ.items() if k not in ("KB_DIR", "KB_INDEX_DIR")}
    # The working tree under test, whatever the venv's install points at.
    env["PYTHONPATH"] = str(ROOT)
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(command), "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        return server, _wait_for_server(server, log_path)
    except BaseException:
        stop_kb_serve(server)
        raise


def stop_kb_serve(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


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
    build_index(load_knowledge_base(medquad_like_kb_dir), folder)
    return folder


@pytest.fixture(scope="session")
def medquad_like_server(tmp_path_factory, medquad_like_kb_dir) -> Iterator[str]:
    with kb_serve(tmp_path_factory.mktemp("medquad-like-server"), medquad_like_kb_dir) as url:
        yield url


def _wait_for_server(server: subprocess.Popen, log_path: Path, timeout: float = 60) -> str:
    """The URL `kb serve` printed, once its port accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log_path.read_text(encoding="utf-8", errors="replace")
        if server.poll() is not None:
            pytest.fail(f"kb serve exited with status {server.returncode}:\n{output}")
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", output)
        if found:
            try:
                socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=1).close()
            except OSError:
                pass
            else:
                return f"http://127.0.0.1:{found.group(1)}"
        time.sleep(0.05)
    pytest.fail(f"kb serve did not start within {timeout:.0f} s:\n"
                + log_path.read_text(encoding="utf-8", errors="replace"))


# --- The article list: a knowledge base of a few hundred articles -------------

GHR = "https://ghr.nlm.nih.gov/condition/glaucoma"
GARD = "https://rarediseases.info.nih.gov/gard/123/glaucoma"


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
    build_index(articles, index_dir)
    return kb_dir, index_dir


# A failed test's report, for fixtures that keep evidence (screenshots).
FAILED_CALL = pytest.StashKey[bool]()


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
    from click.testing import CliRunner

    from kb.cli import main

    def run(*args):
        result = CliRunner().invoke(main, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert "Traceback" not in result.output
        return result
    return run
