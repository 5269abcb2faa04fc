"""The web surface an attacker sees: article ids that try to leave the
knowledge base, unknown parameters, every method on every route, script
stored in an article, debug mode, and what an internal error shows."""
from __future__ import annotations

import builtins
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from support import EXPECTED_HEADERS, HASHED_MODEL, ROOT, KbRunner, assert_error, write_web_kb

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
SECRET = "secret internals at /srv/kb/webapp/search.py line 42"


# --- article ids that try to leave the knowledge base --------------------------

TRAVERSALS = ["..%2f..%2fetc%2fpasswd", "..%2F..%2F..%2Fetc%2Fpasswd", "..%2fsynonyms",
              "%2e%2e%2fsynonyms", "..", "%2fetc%2fpasswd", "%00", "a%00b", "seed%00.yaml",
              "..%5c..%5cwindows", "~root", "x" * 5000, "a-" * 3000 + "b", "synonyms"]


@pytest.fixture
def touched_paths(monkeypatch):
    """Every path the app opens or stats, while the test runs."""
    seen: list[str] = []
    real_open, real_os_open, real_stat = builtins.open, os.open, os.stat

    def note(path):
        if isinstance(path, (str, bytes, os.PathLike)):
            seen.append(os.fsdecode(path))

    def recording_open(file, *args, **kwargs):
        note(file)
        return real_open(file, *args, **kwargs)

    def recording_os_open(path, *args, **kwargs):
        note(path)
        return real_os_open(path, *args, **kwargs)

    def recording_stat(path, *args, **kwargs):
        note(path)
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(os, "open", recording_os_open)
    monkeypatch.setattr(os, "stat", recording_stat)
    return seen


def outside(paths: list[str], *allowed: Path) -> list[str]:
    """The paths not under one of ``allowed`` (nor Python's own folders)."""
    paths = list(paths)  # resolving stats, which would add to the list
    roots = [Path(os.path.realpath(p)) for p in (*allowed, sys.prefix, sys.base_prefix)]
    return [p for p in paths
            if not any(Path(os.path.realpath(p)).is_relative_to(r) for r in roots)]


@pytest.mark.parametrize("prefix", ["/articles/", "/api/articles/"])
@pytest.mark.parametrize("article_id", TRAVERSALS, ids=lambda i: i[:30])
def test_an_article_id_never_reads_a_file_outside_the_knowledge_base(
        client, web_kb_dir, web_index_dir, touched_paths, prefix, article_id):
    response = client.get(prefix + article_id)
    assert response.status_code == 404
    if prefix.startswith("/api"):
        assert_error(response, 404)
    assert "root:" not in response.get_data(as_text=True)
    assert outside(touched_paths, web_kb_dir, web_index_dir, ROOT / "webapp") == []
    assert not any("passwd" in p or "windows" in p for p in touched_paths)


# --- unknown parameters ---------------------------------------------------------------

def test_unknown_parameters_are_ignored(client):
    plain = client.get("/api/search?q=sciatica").get_json()
    extra = client.get("/api/search?q=sciatica&debug=1&format=xml&callback=x&q2=leg"
                       "&__proto__=1&per_page=10&kind=").get_json()
    assert [r["id"] for r in extra["results"]] == [r["id"] for r in plain["results"]]
    assert "callback" not in client.get("/api/search?q=x&callback=alert").get_data(as_text=True)
    page = client.get("/search?q=sciatica&debug=1&sort=evil").get_data(as_text=True)
    assert page == client.get("/search?q=sciatica").get_data(as_text=True)


# --- every method on every route ------------------------------------------------------

ROUTES = ["/", "/search?q=leg", "/articles", f"/articles/{SEED_ID}", "/static/style.css",
          "/api/search?q=leg", "/api/suggest?q=le", "/api/articles", f"/api/articles/{SEED_ID}"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE",
                                    "PATCH"])
@pytest.mark.parametrize("url", ROUTES)
def test_every_method_on_every_route_gets_its_status_never_a_500(client, url, method):
    with client.open(url, method=method) as response:
        if method in ("GET", "HEAD"):
            assert response.status_code == 200
        else:  # OPTIONS too: the site answers no method a route does not serve
            assert response.status_code == 405
            assert "GET" in response.headers["Allow"]
            if url.startswith("/api/"):
                assert_error(response, 405)
            else:
                assert response.mimetype == "text/html"
        if method == "HEAD":
            assert response.get_data() == b""
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, name


# --- script stored in an article ------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '" onmouseover="alert(1)'
EVIL_ID = "evil-article"


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory, seed_article, toe_article):
    """A knowledge base (and its index) with an article whose every text
    field carries script and an attribute break-out."""
    from index import build_index
    from kb.article import Article, RelatedTopic, Section

    evil = Article(
        EVIL_ID, f"Cramps {SCRIPT}{ATTRIBUTE}",
        (Section("intro", text=f"Cramps at night {SCRIPT} and {ATTRIBUTE} spasms."),
         Section("fact", number=1, heading=f"Spasms {SCRIPT}{ATTRIBUTE}",
                 text=f"A spasm {SCRIPT} grips {ATTRIBUTE} the calf."),
         Section("question", number=1, question=f"Why spasms {SCRIPT}{ATTRIBUTE}?",
                 answer=f"Tired muscles {SCRIPT} spasm {ATTRIBUTE} often.")),
        (RelatedTopic(f"Knees {SCRIPT}{ATTRIBUTE}"),))
    folder = tmp_path_factory.mktemp("evil-site")
    kb_dir = write_web_kb(folder / "kb", [seed_article, toe_article, evil])
    build_index([seed_article, toe_article, evil], folder / "index", model=HASHED_MODEL)
    return kb_dir, folder / "index"


@pytest.fixture
def evil_client(make_app, evil_site):
    return make_app(*evil_site).test_client()


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for value in attrs.values():
            assert not (value or "").lstrip().lower().startswith("javascript:"), attrs
    assert "<script>alert" not in html


EVIL_PAGES = ["/", "/search?q=spasms", "/search?q=alert+script", "/search?q=spasms&kind=fact",
              "/articles", f"/articles/{EVIL_ID}", f"/articles/{EVIL_ID}?q=spasms+script",
              f"/articles/{EVIL_ID}?q={quote(SCRIPT)}"]


@pytest.mark.parametrize("url", EVIL_PAGES)
def test_script_stored_in_an_article_is_inert_on_every_page(evil_client, url):
    response = evil_client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_inert(html)
    if url != "/":
        # The text is on the page, as text.
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("<mark>", "") \
            .replace("</mark>", ""), url


def test_every_field_of_an_article_with_script_renders_as_text(evil_client):
    html = evil_client.get(f"/articles/{EVIL_ID}").get_data(as_text=True)
    shown = html.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert shown >= 7  # title (twice: <title> and <h1>), intro, heading, text, question,
    #                    answer, related topic
    # Jinja writes &#34;, the engine's marking &quot;: both are text.
    assert len(re.findall(r"(&#34;|&quot;) onmouseover=(&#34;|&quot;)alert\(1\)", html)) >= 7


def test_script_stored_in_an_article_is_data_in_every_api_field(evil_client):
    responses = [evil_client.get(url) for url in (
        "/api/search?q=spasms&per_page=50", "/api/search?q=alert+script", "/api/articles",
        f"/api/articles/{EVIL_ID}", "/api/suggest?q=cramps")]
    for response in responses:
        assert response.status_code == 200
        assert "<" not in response.get_data(as_text=True)  # sniffed as HTML: inert
    found = responses[0].get_json()["results"]
    assert {hit["article"]["id"] for hit in found} >= {EVIL_ID}
    for hit in found:
        for html in (hit["snippet"], hit["heading_html"] or ""):
            assert "<" not in html.replace("<mark>", "").replace("</mark>", ""), html
    evil_hits = [hit for hit in found if hit["article"]["id"] == EVIL_ID]
    assert any("&lt;script&gt;" in hit["snippet"] for hit in evil_hits)
    assert all(hit["article"]["title"] == f"Cramps {SCRIPT}{ATTRIBUTE}" for hit in evil_hits)
    article = responses[3].get_json()
    assert article["title"] == f"Cramps {SCRIPT}{ATTRIBUTE}"
    assert article["related"] == [{"title": f"Knees {SCRIPT}{ATTRIBUTE}",
                                   "url": "/search?q=" + quote(f"Knees {SCRIPT}{ATTRIBUTE}")}]
    listed = {a["id"]: a["title"] for a in responses[2].get_json()["articles"]}
    assert listed[EVIL_ID] == f"Cramps {SCRIPT}{ATTRIBUTE}"


# --- debug mode and the server ----------------------------------------------------------

def test_kb_serve_runs_its_app_under_waitress_never_in_debug_mode(
        monkeypatch, tmp_path, web_kb_dir):
    import waitress.server
    from kb.cli import main
    from webapp.search import close_index

    served = []

    class FakeServer:
        effective_port = 5999

        def run(self):
            pass

        def close(self):
            pass

    def create_server(app, **options):
        served.append(app)
        return FakeServer()

    # FLASK_DEBUG would turn on Flask's debug mode for any app it loads.
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setattr(waitress.server, "create_server", create_server)
    # One worker serves in this process, where the fake server can see it.
    result = KbRunner().invoke(main, ["serve", "--workers", "1", "--port", "0",
                                       "--kb-dir", str(web_kb_dir),
                                       "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    try:
        assert served[0].debug is False and served[0].testing is False
    finally:
        close_index(served[0])


def test_the_live_server_is_waitress_not_the_development_server(live_server):
    import urllib.request

    with urllib.request.urlopen(f"{live_server}/", timeout=10) as response:
        server = response.headers["Server"]
    # `kb serve` names itself in waitress's ident; Werkzeug's development
    # server would say "Werkzeug/x.y Python/z".
    assert server == "kb"


# --- internal errors --------------------------------------------------------------------

@pytest.fixture
def broken_search(monkeypatch):
    """Every snapshot method the site calls raises, as a bug would."""
    from index import Snapshot

    def boom(*args, **kwargs):
        raise RuntimeError(SECRET)
    for name in ("search", "pool", "filters", "suggest", "articles", "topic", "marked_terms"):
        monkeypatch.setattr(Snapshot, name, boom)


@pytest.mark.parametrize("url", ["/api/search?q=leg", "/api/suggest?q=le", "/api/articles",
                                 f"/api/articles/{SEED_ID}"])
def test_an_internal_error_in_the_api_is_a_generic_json_500(client, broken_search, url):
    response = client.get(url)
    assert_error(response, 500)
    assert response.get_json()["error"]["message"] == \
        "Something went wrong on our side. Please try again."
    body = response.get_data(as_text=True)
    assert "secret" not in body and "Traceback" not in body and "RuntimeError" not in body
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value


@pytest.mark.parametrize("url", ["/search?q=leg", "/articles", f"/articles/{SEED_ID}"])
def test_an_internal_error_on_a_page_is_the_html_error_page(client, broken_search, url):
    response = client.get(url)
    assert response.status_code == 500 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret" not in html and "Traceback" not in html and "RuntimeError" not in html
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value
