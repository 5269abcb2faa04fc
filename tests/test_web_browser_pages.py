"""The article list and the search box's suggestions in headless Chromium.

The list runs over a few hundred generated articles (conftest's list_kb),
served in this process; the suggestions over the live `kb serve` of the web
tests. The browser fixtures are test_web_browser.py's.
"""
from __future__ import annotations

import threading
from typing import Iterator

import pytest
from werkzeug.serving import make_server

from test_web_browser import browser, console, open_page, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def list_server(list_kb) -> Iterator[str]:
    """The site over the generated list knowledge base, on a free port."""
    from webapp import create_app
    from webapp.search import close_index

    kb_dir, index_dir = list_kb
    app = create_app({"KB_DIR": str(kb_dir), "INDEX_DIR": str(index_dir), "QUERY_LOG": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        close_index(app)


@pytest.mark.parametrize("javascript", [True, False])
def test_the_article_list_on_a_phone_pages_by_letter_with_the_keyboard(
        open_page, list_server, console, javascript):
    page = open_page(viewport=PHONE, is_mobile=True, java_script_enabled=javascript)
    page.goto(list_server + "/articles")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator(".article-list li").count() == 100
    assert "250 articles · page 1 of 3" in page.locator("#list-count").inner_text()
    letter = page.get_by_role("link", name="G 2 articles")
    letter.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/articles?letter=G")
    assert page.locator(".article-list li").all_inner_texts() == [
        "Glaucoma — Genetic and Rare Diseases Information Center",
        "Glaucoma — Genetics Home Reference"]
    page.goto(list_server + "/articles?letter=A")
    page.get_by_role("link", name="All 250 articles").press("Enter")
    page.wait_for_url(list_server + "/articles")
    page.locator("#main a[rel=next]").press("Enter")
    page.wait_for_url("**/articles?page=2")
    assert "page 2 of 3" in page.locator("#list-count").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert console.errors == []


def _suggestions(page):
    return page.locator("#suggestions [role=option]")


def test_suggestions_are_chosen_with_the_keyboard_and_searched(page, live_server, console):
    page.goto(live_server + "/")
    box = page.locator("#q")
    box.press_sequentially("sciat", delay=30)
    page.locator("#suggestions").wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert _suggestions(page).locator(".suggestion-text").all_inner_texts() == ["Sciatica"]
    assert _suggestions(page).locator(".suggestion-kind").all_inner_texts() == ["Topic"]
    page.keyboard.press("ArrowDown")
    option = _suggestions(page).first
    assert option.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    assert box.input_value() == "Sciatica"
    page.keyboard.press("Enter")
    assert page.locator("#suggestions").is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    # Live search shows the chosen suggestion's results, focus stays in the box.
    page.wait_for_url(f"{live_server}/search?q=Sciatica")
    page.locator("#results li.hit mark").first.wait_for()
    assert box.evaluate("el => el === document.activeElement")
    assert console.errors == []


def test_escape_closes_suggestions_and_keeps_what_was_typed(page, live_server, console):
    page.goto(live_server + "/")
    box = page.locator("#q")
    box.press_sequentially("can anx", delay=30)
    page.locator("#suggestions").wait_for()
    page.keyboard.press("ArrowDown")
    assert box.input_value() == "Can anxiety cause leg numbness while lying down?"
    page.keyboard.press("Escape")
    assert page.locator("#suggestions").is_hidden()
    assert box.input_value() == "can anx"
    assert console.errors == []


def test_with_the_list_closed_down_still_moves_into_the_results(page, live_server, console):
    page.goto(f"{live_server}/search?q=nerve")
    box = page.locator("#q")
    box.focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#results .hit-link").first.evaluate(
        "el => el === document.activeElement")
    assert page.locator("#suggestions").is_hidden()
    assert console.errors == []


def test_without_javascript_the_box_is_a_plain_search_box(open_page, live_server, console):
    page = open_page(java_script_enabled=False)
    page.goto(live_server + "/")
    assert page.locator("#suggestions").count() == 0
    assert page.locator("#q").get_attribute("role") is None
    assert console.errors == []
