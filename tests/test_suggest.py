"""Suggestions for the search box and the home page's examples."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from index.building.build import build_index
from index.generations import current_generation
from index.reading.search import SearchIndex
from index.reading.suggest import HEADINGS_FILE, MAX_SCAN, TABLE_FILE, SuggestTable

from support import HASHED_MODEL

SEED_FACTS = ["Pinched Nerves", "Poor Blood Circulation", "Restless Leg Syndrome",
              "Sciatica", "Peripheral Neuropathy"]


def texts(suggestions) -> list[str]:
    return [s.text for s in suggestions]


@pytest.fixture(scope="module")
def table() -> SuggestTable:
    return SuggestTable.build(
        titles=["Glaucoma", "Congenital glaucoma", "glaucoma", "High blood pressure",
                "Diabetes"],
        facts=["Sciatica"],
        questions=["What is (are) Glaucoma ?", "What are the symptoms of Glaucoma ?",
                   "What are the symptoms of Glaucoma ?", "Who is at risk for Glaucoma? ?",
                   "What are the symptoms of Diabetes ?", "How is high blood pressure treated?"])


def test_a_prefix_finds_titles_then_questions_that_it_begins_a_word_of(table):
    assert [(s.text, s.kind) for s in table.suggest("glau", 10)] == [
        ("Glaucoma", "title"),               # from the first word
        ("What are the symptoms of Glaucoma?", "question"),   # from a later word: most asked,
        ("Congenital glaucoma", "title"),    # then titles first
        ("What is Glaucoma?", "question"),
        ("Who is at risk for Glaucoma?", "question"),
    ]


def test_several_typed_words_continue_a_heading_from_any_of_its_words(table):
    assert texts(table.suggest("symptoms of diab", 5)) == ["What are the symptoms of Diabetes?"]
    assert texts(table.suggest("What are the SYMPTOMS", 5)) == [
        "What are the symptoms of Glaucoma?", "What are the symptoms of Diabetes?"]
    assert texts(table.suggest("high blo", 5)) == ["High blood pressure",
                                                   "How is high blood pressure treated?"]


def test_titles_and_headings_are_offered_once_whatever_their_case(table):
    assert texts(table.suggest("glaucoma", 10)).count("Glaucoma") == 1


def test_a_stop_word_or_a_single_letter_begins_no_suggestion(table):
    assert table.suggest("the sym", 5) == []
    assert table.suggest("g", 5) == []
    assert table.suggest("  ", 5) == []


def test_no_stems_or_invented_words_are_offered(table):
    # The old completion offered index words: "diabetesis", "high block".
    assert texts(table.suggest("diabetes", 5)) == ["Diabetes", "What are the symptoms of Diabetes?"]
    assert table.suggest("high blocks", 5) == []


def test_the_limit_and_a_huge_prefix_are_respected(table):
    assert len(table.suggest("glau", 2)) == 2
    assert table.suggest("glaucoma " * 10_000, 5) == []


def test_a_prefix_matching_more_entries_than_are_ranked_still_answers():
    titles = [f"Topic {n:05d}" for n in range(MAX_SCAN + 500)]
    table = SuggestTable.build(titles, [], [])
    assert texts(table.suggest("topic", 3)) == ["Topic 00000", "Topic 00001", "Topic 00002"]


def test_a_table_reads_back_as_it_was_written(table):
    again = SuggestTable.from_json(table.to_json())
    for prefix in ("glau", "high", "symptoms of", "sci"):
        assert again.suggest(prefix, 10) == table.suggest(prefix, 10)


def test_examples_are_shared_topics_of_a_few_words_each_of_its_own(table):
    # "glaucoma" is the title of two articles; "Congenital glaucoma" shares
    # its word; questions are never examples.
    assert table.examples(4) == ["Glaucoma", "Diabetes", "High blood pressure", "Sciatica"]


# --- over a built index --------------------------------------------------------------

def test_the_seed_suggests_its_headings_and_gives_its_facts_as_examples(seed_search):
    assert texts(seed_search.suggest("sci")) == ["Sciatica"]
    assert "Can anxiety cause leg numbness while lying down?" in texts(
        seed_search.suggest("can anx"))
    assert sorted(texts(seed_search.suggest("", limit=5))) == sorted(SEED_FACTS)


def test_an_incremental_build_keeps_the_suggestions_of_articles_it_did_not_reread(
        tmp_path, make_article):
    old = make_article("eyes", "Glaucoma", questions=[("What causes glaucoma?", "Pressure.")])
    other = make_article("sugar", "Diabetes", questions=[("What is insulin?", "A hormone.")])
    build_index([old, other], tmp_path, model=HASHED_MODEL)
    new = replace(old, sections=make_article(
        "eyes", "Glaucoma", questions=[("How is glaucoma treated?", "Drops.")]).sections)
    build_index([new, other], tmp_path, model=HASHED_MODEL)
    engine = SearchIndex(tmp_path)
    try:
        assert texts(engine.suggest("what is ins")) == ["What is insulin?"]
        assert texts(engine.suggest("how is gla")) == ["How is glaucoma treated?"]
        assert engine.suggest("what causes") == []
    finally:
        engine.close()


def test_an_edit_that_keeps_every_title_and_heading_keeps_the_table_files_a_new_one_rebuilds(
        tmp_path, make_article):
    eyes = make_article("eyes", "Glaucoma", questions=[("What causes glaucoma?", "Pressure.")])
    other = make_article("sugar", "Diabetes", questions=[("What is insulin?", "A hormone.")])
    build_index([eyes, other], tmp_path, model=HASHED_MODEL)
    first = current_generation(tmp_path)
    answer_edited = make_article("eyes", "Glaucoma",
                                 questions=[("What causes glaucoma?", "Raised eye pressure.")])
    build_index([answer_edited, other], tmp_path, model=HASHED_MODEL)
    second = current_generation(tmp_path)
    assert second != first
    for name in (TABLE_FILE, HEADINGS_FILE):
        assert (second / name).stat().st_ino == (first / name).stat().st_ino
    retitled = replace(answer_edited, title="Glaucoma in Adults")
    build_index([retitled, other], tmp_path, model=HASHED_MODEL)
    third = current_generation(tmp_path)
    assert (third / TABLE_FILE).stat().st_ino != (second / TABLE_FILE).stat().st_ino
    engine = SearchIndex(tmp_path)
    try:
        assert texts(engine.suggest("glaucoma in")) == ["Glaucoma in Adults"]
        assert texts(engine.suggest("what causes")) == ["What causes glaucoma?"]
    finally:
        engine.close()


def test_a_generation_without_a_table_suggests_its_titles(tmp_path, seed_index_dir):
    folder = tmp_path / "index"
    shutil.copytree(seed_index_dir, folder)
    (current_generation(folder) / TABLE_FILE).unlink()
    engine = SearchIndex(folder)
    try:
        assert texts(engine.suggest("why does")) == ["Why Does My Leg Go Numb When I Lay Down?"]
        assert engine.suggest("sci") == []
    finally:
        engine.close()


# --- the home page's examples ------------------------------------------------------------

def test_the_home_page_offers_the_knowledge_bases_topics(client):
    html = client.get("/").get_data(as_text=True)
    for topic in ("Sciatica", "Pinched Nerves", "Peripheral Neuropathy"):
        assert f'>{topic}</a>' in html


def test_configured_examples_override_the_derived_ones(make_app, web_kb_dir, web_index_dir):
    app = make_app(web_kb_dir, web_index_dir)
    app.config["EXAMPLE_QUERIES"] = ["numb toes"]
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'href="/search?q=numb%20toes">numb toes</a>' in html
    assert ">Sciatica</a>" not in html


def test_the_home_page_shows_without_an_index(make_app, web_kb_dir, tmp_path):
    response = make_app(web_kb_dir, tmp_path / "no-index").test_client().get("/")
    assert response.status_code == 200
    assert 'id="q"' in response.get_data(as_text=True)
