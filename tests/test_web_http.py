"""Real HTTP against `kb serve` (waitress in a subprocess)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from support import EXPECTED_HEADERS

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"


def fetch(url: str) -> tuple[int, dict, str]:
    """Status, headers and body; an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode("utf-8")


def test_search_over_http_returns_the_json(live_server):
    status, headers, body = fetch(f"{live_server}/api/search?q=sciatica")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert data["results"][0]["id"] == f"{SEED_ID}#fact-4"
    assert "<mark>" in data["results"][0]["snippet"]


def test_a_script_tag_query_comes_back_as_inert_json(live_server):
    # curl 'localhost:PORT/api/search?q=%3Cscript%3E"'
    status, headers, body = fetch(f"{live_server}/api/search?q=%3Cscript%3E%22")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert "<" not in body and ">" not in body
    assert json.loads(body)["query"] == '<script>"'


@pytest.mark.parametrize("path", [
    "/", "/search?q=" + quote("<script>"), f"/articles/{SEED_ID}", "/static/style.css",
    "/api/search?q=leg", "/api/search?page=abc", "/no-such-page",
])
def test_every_response_has_the_security_headers(live_server, path):
    status, headers, body = fetch(live_server + path)
    assert status < 500
    for name, value in EXPECTED_HEADERS.items():
        assert headers.get(name) == value, (path, name)
    assert "<script>alert" not in body


def test_an_error_is_json_in_the_error_shape(live_server):
    status, headers, body = fetch(f"{live_server}/api/search?q=leg&per_page=500")
    assert status == 400
    assert json.loads(body)["error"]["status"] == 400


def test_the_page_is_served_as_html(live_server):
    status, headers, body = fetch(f"{live_server}/search?q=sciatica")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert f"/articles/{SEED_ID}?q=sciatica#fact-4" in body
