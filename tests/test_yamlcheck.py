"""kb/yamlcheck.py: what every YAML file kb reads must not hold (issue 13, item 6)."""
from __future__ import annotations


import pytest

from kb.errors import ValidationError
from kb.synonyms import load_synonyms
from kb.yamlcheck import composed


def _alias_bomb(aliases: int) -> str:
    """One intro anchored, then repeated by ``aliases`` aliases: a few kB
    that expand to ``aliases`` copies."""
    lines = ["id: bomb", "title: Bomb", "sections:",
             "- &intro {kind: intro, text: " + "numb " * 200 + "}"]
    lines += ["- *intro"] * aliases
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_by_kb_check_and_kb_index_in_bounded_time(
        tmp_path, kb_cli):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    kb_dir.mkdir()
    (kb_dir / "bomb.yaml").write_text(_alias_bomb(2000), encoding="utf-8")
    check = kb_cli("check", "--kb-dir", kb_dir)
    index = kb_cli("index", "--kb-dir", kb_dir, "--index-dir", index_dir)
    says = (f"{kb_dir / 'bomb.yaml'}:5: YAML aliases (*intro) are not accepted: write the "
            "text out in full where it belongs")
    assert check.exit_code == 1 and says in check.stderr.splitlines()
    assert index.exit_code == 0 and f"skipped: {says}" in index.stderr.splitlines()
    assert "Indexed 0 articles, 0 passages" in index.stdout


def test_an_alias_in_the_synonyms_list_is_refused_with_its_line(tmp_path):
    path = tmp_path / "synonyms.yaml"
    path.write_text("groups:\n  - &numb [numb, tingling]\n  - *numb\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"YAML aliases \(\*numb\) are not accepted") \
            as caught:
        load_synonyms(path)
    assert caught.value.line == 3


def test_an_anchor_without_an_alias_and_a_star_in_text_are_fine():
    with composed("a: &x [1, 2]\nb: 'stars * and *x inside text'\n", "t.yaml") as (_, root):
        assert root is not None
