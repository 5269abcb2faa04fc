"""The site in headless Chromium (Playwright) against a live `kb serve`.

A test that fails leaves ``failure.png`` in its tmp_path.
"""
from __future__ import annotations

import threading
from typing import Iterator

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from support import CHROMIUM, FAILED_CALL, TOE_ID

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: the browser tests need it "
                    "(Debian: apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class Console:
    """Errors a page reported: console errors (CSP violations among them)
    and uncaught exceptions."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda m: self.errors.append(f"{m.text} [{m.location.get('url')}]")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


@pytest.fixture
def console() -> Console:
    return Console()


def _open_page(request, browser, console: Console, tmp_path, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)

    def finish() -> None:
        if request.node.stash.get(FAILED_CALL, False):
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        context.close()
    request.addfinalizer(finish)
    return page


@pytest.fixture
def page(request, browser, console, tmp_path):
    return _open_page(request, browser, console, tmp_path)


@pytest.fixture
def open_page(request, browser, console, tmp_path):
    """``open_page(**context_options)``: a page in a context of its own."""
    return lambda **options: _open_page(request, browser, console, tmp_path, **options)


def test_typing_shows_highlighted_results_without_pressing_enter(page, live_server, console):
    page.goto(live_server + "/")
    page.locator("#q").press_sequentially("sciatica", delay=30)
    first = page.locator("#results li.hit").first
    first.locator("mark").first.wait_for()
    assert first.locator(".passage-link").get_attribute("href") == \
        f"/articles/{SEED_ID}?q=sciatica#fact-4"
    assert "1 topic" in page.locator("#summary").inner_text()
    # The address can be shared, and nothing reloaded the page.
    assert page.url == f"{live_server}/search?q=sciatica"
    assert page.locator("#start").is_hidden()
    assert console.errors == []


def test_following_a_result_lands_on_the_marked_passage(page, live_server, console):
    page.goto(f"{live_server}/search?q=sciatica")
    page.locator("#results .passage-link").first.click()
    page.wait_for_url(f"**/articles/{SEED_ID}?q=sciatica#fact-4")
    passage = page.locator("#fact-4")
    assert passage.evaluate("el => el.matches(':target')")
    assert passage.evaluate("el => { const r = el.getBoundingClientRect();"
                            " return r.top >= 0 && r.top < window.innerHeight; }")
    assert passage.locator("mark").first.inner_text() == "Sciatica"
    background = passage.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert console.errors == []


def test_following_a_related_topic_opens_its_article(page, live_server, console):
    page.goto(f"{live_server}/search?q=sciatica")
    page.locator("#results .hit-related a", has_text="Why Does My Big Toe Nail Hurt").first.click()
    page.wait_for_url(f"**/articles/{TOE_ID}")
    assert page.locator("h1").inner_text() == "Why Does My Big Toe Nail Hurt"
    assert console.errors == []


def test_arrow_keys_move_through_results_and_enter_opens_one(page, live_server, console):
    page.goto(f"{live_server}/search?q=nerve")
    links = page.locator("#results .hit-link")
    assert links.count() >= 3
    second = links.nth(1).get_attribute("href")
    page.locator("#q").focus()
    page.keyboard.press("ArrowDown")
    assert links.nth(0).evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert links.nth(1).evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}{second}")
    # Back returns to the results.
    page.go_back()
    page.wait_for_url(f"{live_server}/search?q=nerve")
    assert page.locator("#results .hit-link").count() == links.count()
    assert console.errors == []


def test_live_results_follow_corrections_and_a_filter_keeps_to_live_results(page, live_server,
                                                                            console):
    page.goto(live_server + "/")
    page.locator("#q").fill("sciatca")
    page.locator("#summary .correction a").wait_for()
    assert "Showing results for" in page.locator("#summary").inner_text()
    page.locator("#q").fill("leg")
    page.locator("#filters a", has_text="Questions").wait_for()
    page.locator("#q").blur()  # the suggestions close when the box loses focus
    page.locator("#filters a", has_text="Questions").click()
    page.wait_for_url("**/search?q=leg&kind=question")
    hrefs = page.locator("#results .passage-link").evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all("#q-" in h for h in hrefs)
    # Typing on keeps the filter.
    page.locator("#q").fill("leg numb")
    page.wait_for_url("**/search?q=leg+numb&kind=question")
    assert console.errors == []


def test_live_results_render_engine_html_as_text_not_markup(page, live_server, console):
    page.goto(live_server + "/")
    page.locator("#q").fill('<img src=x onerror="window.hacked=1">sciatica')
    page.locator("#results li.hit mark").first.wait_for()
    assert page.evaluate("() => window.hacked") is None
    assert page.locator("#results img").count() == 0
    assert console.errors == []


def test_the_form_works_with_javascript_off(open_page, live_server, console):
    page = open_page(java_script_enabled=False)
    page.goto(live_server + "/")
    page.locator("#q").fill("sciatica")
    page.locator("#q").press("Enter")
    # Only the query: no stray empty parameters.
    page.wait_for_url(f"{live_server}/search?q=sciatica")
    first = page.locator("#results li.hit").first
    assert "Sciatica" in first.locator(".passage-link").inner_text()
    assert first.locator("mark").count() >= 1
    # No promise of keys that need the script.
    assert page.locator("#search-hint").is_hidden()
    assert console.errors == []


@pytest.mark.parametrize("path", ["/", "/search?q=leg", f"/articles/{SEED_ID}", "/articles"])
def test_a_360_pixel_screen_needs_no_sideways_scrolling(open_page, live_server, path, console):
    page = open_page(viewport={"width": 360, "height": 740})
    page.goto(live_server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert console.errors == []


def test_focus_is_visible(page, live_server):
    page.goto(f"{live_server}/search?q=sciatica")
    link = page.locator("#results .hit-link").first
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert link.evaluate("el => getComputedStyle(el).outlineStyle") != "none"


@pytest.mark.parametrize("path", [
    "/", "/search?q=sciatica", "/search?q=zzqxv", "/search?q=%3Cscript%3E", "/articles",
    f"/articles/{SEED_ID}?q=nerve#fact-1", f"/articles/{TOE_ID}", "/api/search?q=leg",
])
def test_no_console_errors_or_csp_violations(page, live_server, console, path):
    page.goto(live_server + path)
    page.wait_for_load_state("load")
    assert console.errors == []


def test_the_not_found_page_reports_only_its_own_status(page, live_server, console):
    response = page.goto(live_server + "/no-such-page")
    page.wait_for_load_state("load")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert console.errors == ["Failed to load resource: the server responded with a status "
                              f"of 404 (NOT FOUND) [{live_server}/no-such-page]"]


# --- The results page over a MedQuAD-like knowledge base (tests/medquad_like.py)

def test_on_a_phone_the_first_result_is_in_the_first_screen(open_page, medquad_like_server,
                                                             console):
    page = open_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(f"{medquad_like_server}/search?q=syndrome+symptoms")
    first = page.locator("#results .card").first
    box = first.bounding_box()
    assert box is not None and box["y"] < 740 * 0.6, box
    # Its first passage too, not only the article's title.
    passage = first.locator(".passage-link").first.bounding_box()
    assert passage["y"] + passage["height"] < 740
    assert page.locator("#search-hint").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert console.errors == []


def test_the_cards_work_with_javascript_off(open_page, medquad_like_server, console):
    page = open_page(java_script_enabled=False)
    page.goto(medquad_like_server + "/")
    page.locator("#q").fill("syndrome")
    page.locator("#q").press("Enter")
    page.wait_for_url(f"{medquad_like_server}/search?q=syndrome")
    assert page.locator("#results .card").count() == 10
    page.locator("#pagination a[rel=next]").click()
    page.wait_for_url("**/search?q=syndrome&page=2")
    assert page.locator("#results").get_attribute("start") == "11"
    page.locator("#filters a", has_text="Symptoms").click()
    page.wait_for_url("**qtype=symptoms")
    assert page.locator("#results .card").count() > 0
    assert console.errors == []


def test_live_results_show_cards_with_links_to_answers_elsewhere(page, medquad_like_server,
                                                                 console):
    page.goto(medquad_like_server + "/")
    page.locator("#q").press_sequentially("outlook for syndrome", delay=20)
    link = page.locator("#results .passage-link", has_text="Read the answer at MedlinePlus").first
    link.wait_for()
    assert link.get_attribute("href").startswith("https://www.nlm.nih.gov/medlineplus/")
    # Every result of this query is an outlook question: no filter to offer.
    assert page.locator("#filters").is_hidden()
    page.locator("#q").fill("syndrome")
    page.locator("#filters a", has_text="Symptoms").wait_for()


# --- The first screen answers (the topic card, the order of cards, counts) ----------

def _topic() -> str:
    from medquad_like import topic_names

    return topic_names()[3]  # a topic with a second answered source


def _cards(page) -> list[dict]:
    """Each result card's title and whether any of its passages answers on
    this site (a link-only card's passages all read "Read the answer at")."""
    return page.eval_on_selector_all("#results > li.card", """cards => cards.map(card => ({
        title: card.querySelector(".card-title").textContent.trim(),
        answers: card.querySelectorAll(".hit-snippet").length > 0}))""")


@pytest.mark.parametrize("width", [1280, 360])
def test_a_query_naming_a_topic_opens_with_its_card_and_one_naming_none_has_none(
        open_page, medquad_like_server, console, width):
    page = open_page(viewport={"width": width, "height": 800})
    topic = _topic()
    page.goto(f"{medquad_like_server}/search?q={topic.lower().replace(' ', '+')}")
    card = page.locator("#topic-card")
    assert card.is_visible() and card.locator(".topic-title").inner_text() == topic
    assert f"{topic} is a rare condition" in card.locator(".topic-definition").inner_text()
    assert card.locator(".topic-answers a", has_text="Symptoms").is_visible()
    # Above every result card, and within the first screen.
    box, first = card.bounding_box(), page.locator("#results .card").first.bounding_box()
    assert box["y"] < first["y"] and box["y"] < 800
    assert "links only" in card.locator(".card-source").inner_text()
    card.locator(".topic-answers a", has_text="Treatment").click()
    page.wait_for_url("**/articles/**#q-4")
    page.goto(f"{medquad_like_server}/search?q=syndrome+symptoms")
    assert page.locator("#results .card").count() == 10
    assert page.locator("#topic-card").is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 360)
    assert console.errors == []


def test_no_link_only_card_stands_above_an_answering_one_and_a_topic_is_one_card(
        page, medquad_like_server):
    for query in ("syndrome", "outlook syndrome", "inherited syndrome tired"):
        page.goto(f"{medquad_like_server}/search?q={query.replace(' ', '+')}")
        cards = _cards(page)
        assert cards, query
        titles = [c["title"] for c in cards]
        assert len(set(titles)) == len(titles), query
        answering = [c["answers"] for c in cards]
        assert answering == sorted(answering, reverse=True), query


def test_totals_stay_the_same_on_every_page_and_every_page_link_leads_elsewhere(
        page, medquad_like_server):
    import re

    def summary() -> tuple[str, int]:
        text = page.locator("#summary .count").inner_text()
        found = re.fullmatch(r"((?:More than )?\d+ topics) · page (\d+) of (\d+)", text)
        assert found, text
        return f"{found[1]} of {found[3]}", int(found[2])

    page.goto(f"{medquad_like_server}/search?q=syndrome")
    total, _ = summary()
    last = int(total.rpartition(" of ")[2])
    assert last > 2
    for number in (2, last):
        page.goto(f"{medquad_like_server}/search?q=syndrome&page={number}")
        assert summary() == (total, number)
    for start in (1, last):
        page.goto(f"{medquad_like_server}/search?q=syndrome&page={start}")
        links = page.eval_on_selector_all("#pagination a", "links => links.map(a => a.href)")
        assert links
        for href in links:
            page.goto(href)
            shown, number = summary()
            assert shown == total and number != start and _cards(page), href


def test_live_results_for_a_half_typed_word_show_no_correction(page, medquad_like_server):
    word = _topic().split()[0]
    page.goto(medquad_like_server + "/")
    page.locator("#q").press_sequentially(word[:4], delay=30)
    # The suggestions answer the half-typed word; the results wait for it.
    page.locator("#q").press_sequentially("", delay=0)
    page.wait_for_load_state("networkidle")
    area = page.locator("#results-area").inner_text()
    assert "Showing results for" not in area and "Did you mean" not in area
    page.locator("#q").press_sequentially(word[4:] + " syndrome", delay=30)
    page.locator("#topic-card .topic-title", has_text=word).wait_for()
    assert "Showing results for" not in page.locator("#results-area").inner_text()


# --- The article list and the search box's suggestions ------------------------------
# The list runs over a few hundred generated articles (conftest's list_kb),
# served in this process; the suggestions over the live `kb serve`.

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
    # The list may first show what an earlier prefix ("can") suggests.
    expect(_suggestions(page).first).to_contain_text("anxiety")
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
