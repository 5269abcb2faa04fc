"""Terminal output shows control characters escaped: article text cannot
retitle the window or clear the screen (issue 13, item 12)."""
from __future__ import annotations

import pytest

from kb.terminal import escape_controls

RETITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J\x9b1m"


@pytest.mark.parametrize("text, shown", [
    (f"Numb{RETITLE} leg", "Numb\\x1b]0;owned\\x07 leg"),
    (f"clear{CLEAR}", "clear\\x1b[2J\\x9b1m"),
    ("tab\tand\nnewline stay, \x00 and \x7f do not", "tab\tand\nnewline stay, \\x00 and \\x7f do not"),
    ("é, 😀 and ‘quotes’ stay", "é, 😀 and ‘quotes’ stay"),
])
def test_escape_controls_shows_control_characters_escaped(text, shown):
    assert escape_controls(text) == shown


def test_kb_import_and_kb_search_show_terminal_escapes_in_an_article_escaped(
        tmp_path, kb_cli):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    text = tmp_path / "evil.txt"
    text.write_text(f"Numb Legs{RETITLE}\nLegs go numb{CLEAR} when nerves are pressed.\n"
                    f"Interesting Fact #1: Nerves{RETITLE}\nA pressed nerve{CLEAR} tingles.\n",
                    encoding="utf-8")
    imported = kb_cli("import", text, "--kb-dir", kb_dir)
    assert imported.exit_code == 0, imported.stderr
    assert kb_cli("index", "--kb-dir", kb_dir, "--index-dir", index_dir).exit_code == 0
    found = kb_cli("search", "numb nerve", "--kb-dir", kb_dir, "--index-dir", index_dir)
    assert found.exit_code == 0
    for result in (imported, found):
        assert "\x1b" not in result.output and "\x9b" not in result.output
        assert "\\x1b]0;owned\\x07" in result.stdout
    assert "\\x1b[2J" in found.stdout


def test_kb_check_prints_file_names_escaped(tmp_path, kb_cli):
    kb_dir = tmp_path / f"kb{CLEAR}"
    kb_dir.mkdir()
    for name in (f"numb{RETITLE}.yaml", "legs\nfake.yaml:1: all fine.yaml"):
        (kb_dir / name).write_text("id: numb\ntitle: Numb\n", encoding="utf-8")
    result = kb_cli("check", "--kb-dir", kb_dir)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x9b" not in result.output
    assert "\x07" not in result.output
    assert f"numb\\x1b]0;owned\\x07.yaml:" in result.stderr
    assert "legs\\nfake.yaml:1: all fine.yaml" in result.stderr
    assert not any(line.startswith("fake.yaml") for line in result.stderr.splitlines())
    assert result.stderr.splitlines()[-1] == "5 problem(s) in " + str(tmp_path) + \
        "/kb\\x1b[2J\\x9b1m"
