"""webapp/urls.py: one URL table, the same links as the app's own routes,
built with no Flask request for `kb search --json`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import url_for

from index import Topic
from webapp import create_app
from webapp.urls import ROUTES, UrlBuilder, current

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def site(tmp_path):
    return create_app({"KB_DIR": str(tmp_path), "INDEX_DIR": str(tmp_path / "index")})


@pytest.mark.parametrize("prefix", ["", "/kb"])
def test_every_route_of_the_table_is_the_address_url_for_builds(site, prefix):
    values = {"article_id": "why-does-my-leg-go-numb-when-i-lay-down"}
    with site.test_request_context("/", base_url=f"http://localhost{prefix}/"):
        for endpoint, path in ROUTES.items():
            wanted = url_for(endpoint, **{k: v for k, v in values.items() if k in path})
            assert UrlBuilder(prefix).path(endpoint, **{k: v for k, v in values.items()
                                                       if k in path}) == wanted
        assert current() == UrlBuilder(prefix)
    assert set(ROUTES) == {rule.endpoint for rule in site.url_map.iter_rules()} - {"static"}


def test_links_outside_a_request_are_built_from_the_root():
    links = current()
    assert links.article("a-b", "q-2", query="knee pain") == "/articles/a-b?q=knee%20pain#q-2"
    assert links.topic(Topic("Knee Popping")) == "/search?q=Knee%20Popping"
    assert links.topic(Topic("Knee Popping", "knee-popping")) == "/articles/knee-popping"
    assert links.search("leg", page=2, kind="fact", endpoint="api.search") == \
        "/api/search?q=leg&kind=fact&page=2"
    assert UrlBuilder("/kb/").article_list("B", 2) == "/kb/articles?letter=B&page=2"


def test_kb_search_json_creates_no_flask_app(tmp_path, seed_article):
    from kb.store import write_article

    write_article(seed_article, tmp_path / "kb")
    # The command line with the tests' hashed model (what the shipped one
    # costs is not in question here).
    script = (f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
              "import kb_with_hashed_model\n"
              "try:\n    kb_with_hashed_model.run(sys.argv[1:])\nexcept SystemExit as e:\n"
              "    assert not e.code, e.code\n"
              "assert 'flask' not in sys.modules, 'kb search imported Flask'\n")
    options = ["--kb-dir", str(tmp_path / "kb"), "--index-dir", str(tmp_path / "index")]
    subprocess.run([sys.executable, "-c", script, "index", *options], cwd=ROOT, check=True,
                   capture_output=True)
    found = subprocess.run([sys.executable, "-c", script, "search", "sciatica", "--json",
                            *options], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert '"results":[{' in found.stdout
