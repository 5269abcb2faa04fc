"""Properties of `kb import` for any file content (hypothesis): an article
that loads back, or one clear KBError — never another exception.

(Any *text* through kb.parse.parse_article alone is
tests/test_parse.py::test_any_text_parses_or_raises_parse_error.)
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cli import main
from kb.errors import KBError
from kb.importing import import_text_file
from kb.store import load_article

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

_LINES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["Night Cramps", "Interesting Fact #1: Muscles", "Fact 2 Nerves",
                     "Q1: Why at night?", "A1: Muscles tire.", "See also  Knees",
                     "Scroll to Top", "", "???", "Title: x", "id: x", "- kind: fact"]),
)
# Article-shaped text in any encoding, raw bytes, or both spliced together.
contents = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda lines, enc, end: end.join(lines).encode(enc, "replace"),
              st.lists(_LINES, max_size=12),
              st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]),
              st.sampled_from(["\n", "\r\n", "\r"])),
    st.builds(lambda text, junk: text.encode() + junk + text.encode(),
              st.text(max_size=60), st.binary(max_size=8)),
)


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch):
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # durability is moot in tmp_path


def _fresh_folder(tmp_path: Path) -> Path:
    # tmp_path is shared by every example of one test.
    return Path(tempfile.mkdtemp(dir=tmp_path))


@SETTINGS
@given(data=contents)
def test_any_file_imports_as_an_article_or_one_kb_error(tmp_path, data):
    folder = _fresh_folder(tmp_path)
    source = folder / "article.txt"
    source.write_bytes(data)
    try:
        done = import_text_file(source, folder / "kb")
    except KBError as error:
        assert error.message and error.path == str(source)
        return
    assert load_article(done.written_to) == done.article


@SETTINGS
@given(data=contents)
def test_kb_import_of_any_file_exits_0_or_1_without_a_traceback(tmp_path, data):
    folder = _fresh_folder(tmp_path)
    source = folder / "article.txt"
    source.write_bytes(data)
    result = CliRunner().invoke(main, ["import", "--kb-dir", str(folder / "kb"), str(source)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.stderr.startswith(f"error: {source}")
    else:
        assert len(list((folder / "kb").glob("*.yaml"))) == 1
