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
        f"error: {text}: cannot write article 'long-article': its YAML is 29.5 KiB, over "
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
                      "'medquad-ninds-0000001': its YAML is 27.3 KiB, over the 19.5 KiB an "
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
