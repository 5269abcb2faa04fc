"""`kb index` and `kb search` at the command line."""
from __future__ import annotations

import json

import pytest

from kb.cli import main
from kb.store import write_article

from support import KbRunner

SEED_ID = "why-does-my-leg-go-numb-when-i-lay-down"
DESIGN_KEYS = {"query", "corrected", "total", "page", "per_page", "took_ms", "results"}
RESULT_KEYS = {"id", "article", "kind", "number", "heading", "snippet", "url", "score",
               "related"}



@pytest.fixture(scope="module")
def kb_dir(tmp_path_factory, seed_article):
    folder = tmp_path_factory.mktemp("cli-kb")
    write_article(seed_article, folder)
    return folder


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, kb_dir):
    """Options naming a knowledge base and an index `kb index` has built."""
    options = ["--kb-dir", str(kb_dir), "--index-dir", str(tmp_path_factory.mktemp("cli-index"))]
    result = KbRunner().invoke(main, ["index", *options])
    assert result.exit_code == 0, result.output
    return options


def search(runner, options, *args):
    result = runner.invoke(main, ["search", *args, *options])
    assert result.exit_code == 0, result.output
    return result.stdout


def search_json(runner, options, *args):
    return json.loads(search(runner, options, *args, "--json"))


def test_kb_index_prints_its_summary_then_says_up_to_date(runner, kb_dir, tmp_path):
    options = ["--kb-dir", str(kb_dir), "--index-dir", str(tmp_path / "index")]
    first = runner.invoke(main, ["index", *options])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Indexed 1 articles, 21 passages: 1 added, 0 updated, 0 removed in ")
    assert str(tmp_path / "index") in first.stdout
    again = runner.invoke(main, ["index", *options])
    assert again.exit_code == 0
    assert again.stdout.startswith("Index is up to date: 1 articles, 21 passages")


def test_kb_index_full_rebuilds(runner, kb_dir, tmp_path):
    options = ["--kb-dir", str(kb_dir), "--index-dir", str(tmp_path / "index")]
    runner.invoke(main, ["index", *options])
    full = runner.invoke(main, ["index", "--full", *options])
    assert full.exit_code == 0
    assert "1 added" in full.stdout


def test_kb_index_reads_its_folders_from_the_environment(runner, kb_dir, tmp_path):
    result = runner.invoke(main, ["index"], env={"KB_DIR": str(kb_dir),
                                                 "KB_INDEX_DIR": str(tmp_path / "env-index")})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-index" / "CURRENT").exists()


def test_search_shows_the_corrected_passage_first(runner, indexed):
    out = search(runner, indexed, "sciatia")
    lines = out.splitlines()
    assert lines[0] == "Showing results for: sciatica"
    first = next(line for line in lines if line.startswith("1. "))
    assert first == "1. Why Does My Leg Go Numb When I Lay Down? — Fact 4 · Sciatica"
    assert f"/articles/{SEED_ID}#fact-4" in out


def test_search_suggests_a_correction_when_other_words_are_known(runner, indexed):
    out = search(runner, indexed, "leg sciatia")
    assert out.splitlines()[0] == "Did you mean: leg sciatica"


def test_search_prints_marked_words_as_plain_text(runner, indexed):
    out = search(runner, indexed, "sciatica")
    assert "<mark>" not in out and "&" not in out
    assert "Sciatica is a condition" in out
    assert "See also: Why Does My Big Toe Nail Hurt" in out


def test_search_json_has_the_design_keys(runner, indexed):
    response = search_json(runner, indexed, "sciatica")
    assert DESIGN_KEYS <= set(response)
    assert response["query"] == "sciatica"
    hit = response["results"][0]
    assert RESULT_KEYS <= set(hit)
    assert hit["id"] == f"{SEED_ID}#fact-4"
    assert hit["url"] == f"/articles/{SEED_ID}#fact-4"
    assert (hit["kind"], hit["number"], hit["heading"]) == ("fact", 4, "Sciatica")
    assert hit["article"] == {"id": SEED_ID, "title": "Why Does My Leg Go Numb When I Lay Down?",
                              "url": f"/articles/{SEED_ID}"}


def test_search_json_reports_the_correction(runner, indexed):
    response = search_json(runner, indexed, "sciatia")
    assert response["corrected"] == "sciatica"
    assert response["results"][0]["id"] == f"{SEED_ID}#fact-4"


def test_limit_sets_the_page_size(runner, indexed):
    response = search_json(runner, indexed, "leg", "--limit", "3")
    assert response["per_page"] == 3 and len(response["results"]) == 3
    assert response["total"] > 3
    text = search(runner, indexed, "leg", "--limit", "3")
    assert [line[:3] for line in text.splitlines() if line[:1].isdigit() and ". " in line[:4]] \
        == ["1. ", "2. ", "3. "]


def test_page_continues_where_the_last_page_ended(runner, indexed):
    both = search_json(runner, indexed, "leg", "--limit", "4")["results"]
    second = search_json(runner, indexed, "leg", "--limit", "2", "--page", "2")["results"]
    assert [h["id"] for h in second] == [h["id"] for h in both[2:4]]


def test_kind_keeps_only_that_kind(runner, indexed):
    response = search_json(runner, indexed, "leg numbness", "--kind", "fact")
    assert response["results"] and {h["kind"] for h in response["results"]} == {"fact"}


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "51"], ["--kind", "video"],
                                  ["--page", "0"]])
def test_options_out_of_range_are_usage_errors(runner, indexed, args):
    result = runner.invoke(main, ["search", "leg", *args, *indexed])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_an_empty_query_prints_a_message(runner, indexed):
    out = search(runner, indexed, "   ")
    assert out.strip() == "Type a word or a question to search the articles."


def test_search_without_an_index_is_a_one_line_error(runner, kb_dir, tmp_path):
    result = runner.invoke(main, ["search", "sciatica", "--kb-dir", str(kb_dir),
                                  "--index-dir", str(tmp_path / "no-index")])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ") and "kb index" in lines[0]
    assert "Traceback" not in result.output


def test_index_of_a_missing_knowledge_base_is_a_one_line_error(runner, tmp_path):
    result = runner.invoke(main, ["index", "--kb-dir", str(tmp_path / "nowhere"),
                                  "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr


def test_explain_shows_the_topic_the_question_type_and_each_results_factors(runner, indexed):
    out = search(runner, indexed, "what causes sciatica", "--explain")
    topic = next(line for line in out.splitlines() if line.startswith("Topic: "))
    assert "asks: causes" in topic and "words weigh 0.70" in topic
    assert "   Score: blended" in out and " topic " in out and "question_type" in out


def test_without_explain_no_factors_are_shown(runner, indexed):
    out = search(runner, indexed, "what causes sciatica")
    assert "Topic: " not in out and "Score: " not in out


def test_search_takes_its_words_without_quotes(runner, indexed):
    quoted = runner.invoke(main, ["search", "leg numb", *indexed]).stdout
    unquoted = runner.invoke(main, ["search", "leg", "numb", *indexed]).stdout
    def without_time(text: str) -> str:
        return "\n".join(line.split(" (")[0] for line in text.splitlines())
    assert without_time(quoted) == without_time(unquoted) and "numb" in unquoted.lower()


@pytest.mark.parametrize("args, named", [(["--limit", "0"], "--limit"),
                                         (["--page", "0"], "--page"),
                                         (["--page", "30", "--limit", "50"], "--page × --limit")])
def test_an_option_out_of_range_is_named_as_the_command_spells_it(runner, indexed, args, named):
    result = runner.invoke(main, ["search", "leg", *args, *indexed])
    assert result.exit_code == 2 and named in result.output
    assert "per_page" not in result.output


@pytest.fixture(scope="module")
def medquad_like(medquad_like_kb_dir, medquad_like_index_dir):
    return ["--kb-dir", str(medquad_like_kb_dir), "--index-dir", str(medquad_like_index_dir)]


def test_group_shows_the_topic_card_then_one_card_per_topic(runner, medquad_like):
    from medquad_like import topic_names

    topic = topic_names()[3]
    out = search(runner, medquad_like, topic, "--group")
    first = out.splitlines()
    assert "topic(s); showing 1-" in first[0]
    assert first[2].startswith(f"Topic: {topic}")
    assert f"{topic} is a rare condition" in out
    assert json.loads(search(runner, medquad_like, topic, "--group", "--json"))["topic"]


def test_qtype_keeps_only_questions_of_that_type(runner, medquad_like):
    body = json.loads(search(runner, medquad_like, "syndrome", "--qtype", "inheritance",
                             "--json"))
    assert body["results"] and {r["qtype"] for r in body["results"]} == {"inheritance"}


def test_a_link_only_result_prints_the_address_of_its_answer(runner, medquad_like):
    out = search(runner, medquad_like, "outlook", "syndrome", "--limit", "3")
    assert "The answer is at MedlinePlus Encyclopedia: https://" in out
    assert "#q-" not in out  # never a page of this site that lacks the answer


def test_a_snippet_of_several_lines_keeps_each_line_under_its_result(runner, tmp_path,
                                                                     make_article):
    from kb.store import write_article

    article = make_article("tingling", "Tingling", facts=[(
        "Pins and needles", "Tingling is common.\nTingling passes when you move.")])
    write_article(article, tmp_path / "kb")
    options = ["--kb-dir", str(tmp_path / "kb"), "--index-dir", str(tmp_path / "index")]
    assert runner.invoke(main, ["index", *options]).exit_code == 0
    out = search(runner, options, "tingling")
    lines = out.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("1. "))
    assert lines[at + 1].startswith("   ") and lines[at + 2].startswith("   ")
    assert "Tingling passes" in lines[at + 2]
