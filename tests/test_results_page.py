"""The results page over a MedQuAD-like knowledge base of a few hundred
articles (tests/medquad_like.py): corrections, answerless questions,
cards, duplicates, paging and filters as a reader meets them."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from medquad_like import QUESTIONS, topic_names

TOPICS = topic_names()


@pytest.fixture
def client(make_app, medquad_like_kb_dir, medquad_like_index_dir):
    return make_app(medquad_like_kb_dir, medquad_like_index_dir).test_client()


def api(client, query, **params):
    response = client.get("/api/search", query_string={"q": query, **params})
    assert response.status_code == 200
    return response.get_json()


def page(client, query, **params) -> str:
    response = client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def cards(html: str) -> list[str]:
    return re.findall(r'<li class="card">(.*?)</li>\s*(?=<li class="card">|</ol>)', html, re.S)


def card_article(card: str) -> str:
    return re.search(r'class="hit-link" href="/articles/([^"?#]+)', card).group(1)


@pytest.mark.parametrize("query", [
    "i have been very tired", "can you die from {t}", "how do i know if i have {t}",
    "what are the symptoms of {t}", "is {t} passed from a parent",
])
def test_common_words_are_never_corrected(client, query):
    body = api(client, query.format(t=TOPICS[4]))
    assert body["corrected"] is None
    html = page(client, query.format(t=TOPICS[4]))
    assert "Did you mean" not in html and "Showing results for" not in html


def test_a_misspelt_topic_is_corrected(client):
    topic = TOPICS[7]
    typo = topic[:2] + topic[3] + topic[2] + topic[4:]  # two letters swapped
    body = api(client, typo)
    assert body["corrected"] and body["corrected"].lower() == topic.lower()


def test_an_answerless_question_never_ranks_above_the_same_answered_question(client):
    for topic in TOPICS[:20]:
        n = TOPICS.index(topic)
        ranked = [r["id"] for r in api(client, f"what causes {topic}", per_page=50)["results"]]
        number = [q[0] for q in QUESTIONS].index("causes") + 1
        answered, pointer = f"medquad-gard-{n:07d}#q-{number}", f"medquad-adam-{n:07d}#q-{number}"
        assert answered in ranked
        assert pointer not in ranked or ranked.index(answered) < ranked.index(pointer)


def test_an_answerless_question_links_to_its_source_by_name(client):
    topic = TOPICS[2]
    html = page(client, f"what is the outlook for {topic}")
    stub = re.search(r'<a class="hit-link passage-link" href="(https://www\.nlm\.nih\.gov[^"]+)"'
                     r'[^>]*>(.*?)</a>', html, re.S)
    assert stub, "the answerless question is shown"
    assert "Read the answer at MedlinePlus" in stub.group(2)
    # Not a snippet that repeats the question.
    after = html[stub.end():stub.end() + 200]
    assert 'class="hit-snippet"' not in after.split("</li>")[0]


def test_one_card_per_article_and_every_result_names_its_source(client):
    html = page(client, "syndrome symptoms")
    found = cards(html)
    assert len(found) == 10
    articles = [card_article(c) for c in found]
    assert len(set(articles)) == len(articles)
    assert all(re.search(r'<p class="card-source">From [A-Z]', c) for c in found)


def test_the_same_question_of_several_sources_is_one_result_naming_them(client):
    topic = TOPICS[3]  # every third topic has a second answered source
    html = page(client, f"{topic} symptoms")
    question = f"What are the <mark>symptoms</mark> of <mark>{topic.split()[0]}</mark>"
    asking = [c for c in cards(html) if question in c]
    assert len(asking) == 1, "the other sources' copies are folded into one result"
    also = re.search(r'<p class="also-at">Also answered at ([^<]*)</p>', asking[0]).group(1)
    shown = re.search(r'<p class="card-source">From ([^<]*)', asking[0]).group(1)
    assert {shown, *also.split(", ")} == {"Genetic and Rare Diseases Information Center",
                                          "Genetics Home Reference", "MedlinePlus Encyclopedia"}


def test_every_offered_page_is_reachable_and_the_last_has_no_next(client):
    html = page(client, "syndrome")
    seen = []
    number, last_link = 1, None
    while True:
        found = cards(html)
        assert found, f"page {number} is empty"
        seen.append([card_article(c) for c in found])
        start = int(re.search(r'<ol class="results" id="results" start="(\d+)"', html).group(1))
        assert start == (number - 1) * 10 + 1
        nav = re.search(r'<nav class="pagination".*?</nav>', html, re.S).group(0)
        following = re.search(r'rel="next" href="([^"]+)"', nav)
        if not following:
            break
        number += 1
        last_link = following.group(1).replace("&amp;", "&")
        html = client.get(last_link).get_data(as_text=True)
        assert number < 50
    assert number > 2
    # The first nine pages are cut from one pool: no article twice. (Deeper
    # pages rank a deeper pool, where an article may move.)
    first = [a for shown in seen[:9] for a in shown]
    assert len(set(first)) == len(first)
    summary = re.search(r'<p class="count">([^<]*)</p>', html).group(1)
    assert "page" in summary and ("of" in summary or "More than" in summary)


def test_a_page_past_the_last_shows_the_last(client):
    html = page(client, f"{TOPICS[0]} symptoms", page="40")
    assert cards(html)
    assert 'rel="next"' not in html


def test_filters_are_the_question_types_the_query_matches_and_a_filter_finds_all_of_its_kind(
        client):
    topic = TOPICS[7]  # a topic without a second answered source
    html = page(client, topic)
    filters = re.search(r'<nav class="filters".*?</nav>', html, re.S).group(0)
    offered = re.findall(r'>([A-Z][\w ]+?)</a>', filters)
    # GARD asks all five kinds, MedlinePlus the first four and the outlook.
    assert {"Symptoms", "Treatment", "Inheritance", "Outlook"} <= set(offered)
    assert "Facts" not in offered and "filter-count" not in filters
    chosen = page(client, topic, qtype="inheritance")
    assert all("inherited" in c for c in cards(chosen))
    assert '<input type="hidden" name="qtype" value="inheritance">' in chosen
    # A filter searches its kind among every match, not only the best few hundred.
    everywhere = page(client, "syndrome", qtype="symptoms")
    assert len(cards(everywhere)) == 10 and all("symptoms" in c for c in cards(everywhere))


def test_counts_say_more_than_when_they_are_a_lower_bound(client):
    # Every matching passage is counted; the articles only as far as the
    # page's pool of passages reaches.
    body = api(client, "syndrome")
    assert body["total"] > 1000 and not body.get("total_is_estimate")
    html = page(client, "syndrome")
    assert re.search(r'<p class="count">More than \d+ topics · page 1 of \d+</p>', html)


def test_related_topics_appear_once_per_card_and_never_name_their_own_article(client):
    html = page(client, TOPICS[9])
    for card in cards(html):
        related = re.findall(r'<p class="hit-related">(.*?)</p>', card, re.S)
        assert len(related) <= 1
        if related:
            titles = re.findall(r">([^<>]+)</(?:a|span)>", related[0])
            titles = [t for t in titles if t.strip(", ") and t != "See also:"]
            assert len(titles) == len(set(titles))
            own = re.search(r'class="hit-link" href="[^"]+">([^<]+)</a>', card).group(1)
            assert own not in titles


def test_a_results_page_has_one_tab_stop_per_card_and_per_passage(client):
    html = page(client, "syndrome symptoms")
    for card in cards(html):
        focusable = re.findall(r"<a (?![^>]*tabindex=\"-1\")[^>]*href=", card)
        passages = card.count('<li class="hit">')
        assert len(focusable) == 1 + passages


def test_answered_results_come_first_for_a_plain_topic_query(client):
    for topic in TOPICS[10:20]:
        ranked = api(client, topic, per_page=10)["results"]
        kinds = Counter("stub" if r["article"]["id"].startswith("medquad-adam") else "answer"
                        for r in ranked[:3])
        assert kinds["answer"] >= 2, (topic, ranked[:3])


def test_the_api_keeps_its_flat_ranking_and_groups_by_article_when_asked(client):
    flat = api(client, "syndrome symptoms")
    assert "groups" not in flat and len(flat["results"]) == 10
    grouped = api(client, "syndrome symptoms", group="article")
    assert len(grouped["groups"]) == 10
    ids = [g["article"]["id"] for g in grouped["groups"]]
    assert len(set(ids)) == 10
    by_id = {r["id"]: r for r in grouped["results"]}
    for group in grouped["groups"]:
        assert 1 <= len(group["results"]) <= 3
        assert all(by_id[r]["article"]["id"] == group["article"]["id"] for r in group["results"])
    one_topic = api(client, f"{TOPICS[3]} symptoms", group="article")["results"]
    folded = [r for r in one_topic if r["also_at"]]
    assert folded and all(e["source"] for r in folded for e in r["also_at"])
    assert client.get("/api/search?q=x&group=topic").status_code == 400
