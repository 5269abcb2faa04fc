"""`kb import` and the store agree: what import accepts is written and
searchable, what the store would refuse is refused at import with one
line, and ids fit in a file name (issue 13, items 3, 4, 9)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb import store
from kb.article import MAX_ID_LENGTH, is_slug
from kb.store import article_from_yaml, check_knowledge_base, load_article

from support import forbid_opening

NINDS = """<?xml version="1.0" encoding="UTF-8"?>
<doc docid="{id}" corpus="NINDS" url="http://www.ninds.nih.gov/disorders/x.htm">
<doctitle-focus>{title}</doctitle-focus>
<qaPairs>
<pair pid="1">
<question qid="1" qtype="information">what is it ?</question>
<answer>{answer}</answer>
</pair>
</qaPairs>
</doc>
"""


def _medquad(folder: Path, **documents: dict) -> Path:
    (folder / "6_NINDS_QA").mkdir(parents=True)
    for name, fields in documents.items():
        (folder / "6_NINDS_QA" / f"{name}.xml").write_text(NINDS.format(**fields),
                                                           encoding="utf-8")
    return folder


@pytest.fixture
def small_store_limit(monkeypatch):
    """An article file limit of 20 kB, so a text over it is quick to make."""
    monkeypatch.setattr(store, "MAX_ARTICLE_BYTES", 20_000)
    return 20_000


def test_a_text_the_store_would_refuse_is_refused_by_kb_import_with_one_line(
        tmp_path, kb_cli, small_store_limit):
    text = tmp_path / "long.txt"
    text.write_text("Long Article\n" + "A fact about legs. " * 1500 + "\n", encoding="utf-8")
    result = kb_cli("import", text, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {text}: cannot write article 'long-article': its YAML would be at least "
        "28.0 KiB, over "
        "the 19.5 KiB an article file may hold"]
    assert not (tmp_path / "kb" / "long-article.yaml").exists()


def test_a_medquad_document_the_store_would_refuse_is_an_error_and_the_rest_written(
        tmp_path, kb_cli, small_store_limit):
    root = _medquad(tmp_path / "medquad",
                    big={"id": "0000001", "title": "Big", "answer": "Long answer. " * 2000},
                    small={"id": "0000002", "title": "Small", "answer": "Short answer."})
    result = kb_cli("import", "--format", "medquad", root, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert "articles written: 1" in result.stdout
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors == [f"  error: {root / '6_NINDS_QA/big.xml'}: cannot write article "
                      "'medquad-ninds-0000001': its YAML would be at least 25.9 KiB, over "
                      "the 19.5 KiB an "
                      "article file may hold"]
    articles, problems = check_knowledge_base(tmp_path / "kb")
    assert [a.id for a in articles] == ["medquad-ninds-0000002"] and problems == []


def test_the_store_never_writes_a_file_it_would_refuse_to_read():
    assert store.MAX_ARTICLE_BYTES == 5 * 1024 * 1024  # the one limit, in README


def test_a_title_too_long_for_a_file_name_imports_under_a_capped_readable_id(
        tmp_path, kb_cli):
    title = "Why " + " ".join(f"word{n}" for n in range(57))  # 289 characters
    assert len(title) >= 289
    text = tmp_path / "long-title.txt"
    text.write_text(f"{title}\nLegs go numb.\n", encoding="utf-8")
    result = kb_cli("import", text, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 0, result.stderr
    [written] = (tmp_path / "kb").glob("*.yaml")
    article = load_article(written)
    assert len(article.id) <= MAX_ID_LENGTH and is_slug(article.id)
    assert re.fullmatch(r"why-word0-word1-[a-z0-9-]+-[0-9a-f]{8}", article.id)
    assert article.title == title
    # The same title always gives the same id; another long one another.
    again = kb_cli("import", "--force", text, "--kb-dir", tmp_path / "kb")
    assert f"id: {article.id}" in again.stdout
    other = tmp_path / "other.txt"
    other.write_text(f"{title} again\nLegs go numb.\n", encoding="utf-8")
    assert kb_cli("import", other, "--kb-dir", tmp_path / "kb").exit_code == 0
    assert len(list((tmp_path / "kb").glob("*.yaml"))) == 2


def test_a_300_character_medquad_document_id_imports_under_a_capped_id(tmp_path, kb_cli):
    root = _medquad(tmp_path / "medquad",
                    long={"id": "7" * 300, "title": "Long", "answer": "An answer."})
    result = kb_cli("import", "--format", "medquad", root, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 0, result.stderr
    [article] = check_knowledge_base(tmp_path / "kb")[0]
    assert len(article.id) == MAX_ID_LENGTH and article.id.startswith("medquad-ninds-777")


def test_an_id_longer_than_the_cap_is_refused_with_its_line():
    text = f"id: {'a' * (MAX_ID_LENGTH + 1)}\ntitle: T\nsections:\n- kind: intro\n  text: x\n"
    with pytest.raises(store.ValidationError, match=f"is {MAX_ID_LENGTH + 1} characters long; "
                                                    f"an id has at most {MAX_ID_LENGTH}") as caught:
        article_from_yaml(text, "a.yaml")
    assert caught.value.line == 1


def test_a_medquad_file_over_the_input_limit_is_refused_by_size_unread(tmp_path, kb_cli,
                                                                      monkeypatch):
    root = _medquad(tmp_path / "medquad",
                    small={"id": "0000002", "title": "Small", "answer": "Short answer."})
    huge = root / "6_NINDS_QA" / "huge.xml"
    with huge.open("wb") as f:
        f.truncate(60 * 1024 * 1024)  # sparse: nothing to read but zeros
    forbid_opening(monkeypatch, huge)
    result = kb_cli("import", "--format", "medquad", root, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert f"  error: {huge}: is too large: 60.0 MiB, the limit is 10.0 MiB" \
        in result.stderr.splitlines()
    assert "articles written: 1" in result.stdout


# --- every number a parser reads is bounded --------------------------------

@pytest.mark.parametrize("marker, what", [
    ("Fact {n}: Pinched Nerves", "fact"),
    ("Q{n}: Why?", "question"),
    ("Answer {n}: Because.", "answer"),
])
def test_a_huge_number_in_a_marker_is_reported_with_its_line_and_the_batch_goes_on(
        tmp_path, kb_cli, marker, what):
    huge = "9" * 5000  # past int()'s 4,300-digit limit
    bad = tmp_path / "bad.txt"
    bad.write_text("Numb Legs\nAn intro.\n" + marker.format(n=huge) + "\nSome text.\n",
                   encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text("Cold Feet\nAn intro.\nFact 1: Circulation\nSome text.\n", encoding="utf-8")
    result = kb_cli("import", bad, good, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {bad}:3: {what} number 999999999999…(5000 characters) is too large: "
        "at most 6 digits"]
    assert [p.name for p in (tmp_path / "kb").glob("*.yaml")] == ["cold-feet.yaml"]


def test_a_4400_digit_medquad_pid_is_renumbered_with_a_note_and_the_rest_imported(
        tmp_path, kb_cli):
    root = _medquad(tmp_path / "medquad",
                    a={"id": "0000001", "title": "Alpha", "answer": "An answer."},
                    b={"id": "0000002", "title": "Beta", "answer": "Another answer."})
    xml = root / "6_NINDS_QA" / "a.xml"
    xml.write_text(xml.read_text(encoding="utf-8").replace('pid="1"', f'pid="{"4" * 4400}"'),
                   encoding="utf-8")
    result = kb_cli("import", "--format", "medquad", root, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 0, result.stderr
    assert "articles written: 2" in result.stdout
    assert ("  note: 6_NINDS_QA/a.xml: pid '4444444444444444444444444444444444444444…"
            "(4400 characters)' not a positive integer of at most 6 digits: numbered 1") \
        in result.stdout.splitlines()
    article = load_article(tmp_path / "kb" / "medquad-ninds-0000001.yaml")
    assert [s.number for s in article.sections] == [1]


@pytest.mark.parametrize("number, shown", [
    ("9" * 5000, "'999999999999…(5000 characters)'"),
    ("1000000", "1000000"),
])
def test_a_huge_section_number_in_an_article_file_is_refused_with_its_line(number, shown):
    text = f"id: a\ntitle: T\nsections:\n- kind: fact\n  heading: H\n  number: {number}\n  text: x\n"
    with pytest.raises(store.ValidationError, match="'number'") as caught:
        article_from_yaml(text, "a.yaml")
    assert caught.value.line == 6
    assert "too large: at most 999999" in caught.value.message
    assert shown in caught.value.message


# --- a far too large article is refused before its YAML is made -------------

def test_a_medquad_document_of_60k_questions_is_refused_before_its_yaml_is_made(
        tmp_path, kb_cli, small_store_limit, monkeypatch):
    # The 8 MB document of 60,000 pairs, scaled to a 20 kB limit: emitting
    # and re-reading its YAML cost 71 s and 472 MB before it was refused.
    def never(article):
        raise AssertionError("the YAML of an article known to be too large was made")
    monkeypatch.setattr(store, "article_to_yaml", never)
    pairs = "".join(f'<pair pid="{n}"><question qid="{n}" qtype="information">what is '
                    f'thing {n} ?</question><answer>Answer {n}.</answer></pair>\n'
                    for n in range(1, 601))
    folder = tmp_path / "medquad" / "6_NINDS_QA"
    folder.mkdir(parents=True)
    (folder / "big.xml").write_text(
        '<doc docid="0000001" corpus="NINDS" url="http://www.ninds.nih.gov/x.htm">\n'
        f"<doctitle-focus>Big</doctitle-focus>\n<qaPairs>\n{pairs}</qaPairs>\n</doc>\n",
        encoding="utf-8")
    result = kb_cli("import", "--format", "medquad", tmp_path / "medquad",
                    "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert "cannot write article 'medquad-ninds-0000001': its YAML would be at least" \
        in result.stderr
    assert not (tmp_path / "kb" / "medquad-ninds-0000001.yaml").exists()


def test_the_size_bound_never_exceeds_the_yaml_written(seed_article, make_article):
    from kb.yaml_emit import article_to_yaml, yaml_bytes_at_least

    tricky = make_article("tricky", "Tricky \u2028 \x85 title: 'quoted' \"double\"",
                          facts=[("Ünïcode — dash", "line one\nline two\n\n  indented"),
                                 ("Folded", "word " * 200 + "end"),
                                 ("Escapes", "tab\there \ufeff bom \U0001F600 and \\ slash")],
                          questions=[("Why? #1: yes", "No: really.")])
    for article in (seed_article, tricky):
        assert yaml_bytes_at_least(article) <= len(article_to_yaml(article).encode("utf-8"))


def test_an_article_over_the_limit_by_its_yaml_alone_is_refused_with_its_exact_size(
        make_article, monkeypatch):
    from kb.yaml_emit import article_to_yaml, yaml_bytes_at_least

    article = make_article("folded", "Folded", facts=[("Long", "word " * 4000 + "end")])
    least, size = yaml_bytes_at_least(article), len(article_to_yaml(article).encode("utf-8"))
    assert least < size
    monkeypatch.setattr(store, "MAX_ARTICLE_BYTES", (least + size) // 2)
    with pytest.raises(store.ValidationError, match=r"its YAML is [0-9.]+ KiB, over the"):
        store.write_article(article, Path("/nonexistent-never-written"))


@pytest.mark.parametrize("title, shown", [
    ("Грипп у детей", "article-"), ("Γρίπη 2024", "2024-"), ("インフルエンザ", "article-")])
def test_a_title_in_another_script_imports_under_a_stable_id_of_its_hash(
        tmp_path, kb_cli, title, shown):
    text = tmp_path / "flu.txt"
    text.write_text(f"{title}\nAn intro.\nFact 1: Fever\nA high temperature.\n",
                    encoding="utf-8")
    result = kb_cli("import", text, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 0, result.stderr
    [article] = check_knowledge_base(tmp_path / "kb")[0]
    assert article.title == title
    assert re.fullmatch(re.escape(shown) + "[0-9a-f]{8}", article.id) and is_slug(article.id)
    again = kb_cli("import", text, "--kb-dir", tmp_path / "kb", "--force")
    assert f"{article.id}" in again.stdout  # the same title, the same id


def test_a_title_with_no_letter_or_digit_is_still_refused_with_its_reason(tmp_path, kb_cli):
    text = tmp_path / "dots.txt"
    text.write_text("?!…\nAn intro.\n", encoding="utf-8")
    result = kb_cli("import", text, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert result.stderr == f"error: {text}:1: the title has no letters or digits to make an id from\n"
