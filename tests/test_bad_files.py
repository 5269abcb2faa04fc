"""Bad files in a knowledge base, one table: each row a bad file, the line
and the words of the message it gets. Every row goes through `kb check`
(names file and line, exit 1), `kb index` (skips the file with that
message, indexes the rest) and the site (the bad article is a plain 404,
no traceback). The checks behind each message are tested in
tests/test_store.py; this file is the reader's overview.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import SearchIndex
from kb import store
from kb.cli import main
from kb.store import write_article
from test_store import VALID  # a valid article file: id numb-leg, 13 lines

from support import HASHED_MODEL, KbRunner, forbid_opening

GOOD_HIT = "numb-leg#fact-1"  # "Pressure." in VALID


def _as(article_id: str, text: str = VALID) -> str:
    return text.replace("id: numb-leg", f"id: {article_id}", 1)


def _put(text: str):
    def make(kb_dir: Path, path: Path) -> None:
        path.write_text(text, encoding="utf-8")
    return make


def _put_bytes(data: bytes):
    def make(kb_dir: Path, path: Path) -> None:
        path.write_bytes(data)
    return make


def _link_outside(kb_dir: Path, path: Path) -> None:
    target = kb_dir.parent / "elsewhere" / path.name
    target.parent.mkdir()
    target.write_text(_as(path.stem), encoding="utf-8")
    path.symlink_to(target)


def _huge_sparse(kb_dir: Path, path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(1 << 30)  # 1 GiB, no blocks written


def _folder(kb_dir: Path, path: Path) -> None:
    path.mkdir()


BAD = _as("bad-one")

# (case, file name, how it is made, line (None: the file as a whole),
#  how what `kb check` says begins, how what `kb index` says begins when
#  it differs)
BAD_FILES = [
    ("yaml syntax", "bad-one.yaml", _put(BAD.replace("title: Why", "title: Why: Oh")), 2,
     "YAML syntax error: mapping values are not allowed", None),
    ("unclosed quote", "bad-one.yaml", _put(BAD.replace("text: Pressure.", "text: 'Pressure.")),
     9, "YAML syntax error: found unexpected end of stream (while scanning a quoted "
        "scalar, started on this line)", None),
    ("title a number", "bad-one.yaml",
     _put(BAD.replace("title: Why Does My Leg Go Numb?", "title: 2024")), 2,
     "the article: 'title' must be text, got 2024 (a number); put it in quotes", None),
    ("number a word", "bad-one.yaml", _put(BAD.replace("number: 1\n  heading",
                                                       "number: four\n  heading")), 7,
     "section 2 (fact): 'number' must be a positive integer, got 'four'", None),
    ("sections a string", "bad-one.yaml",
     _put(BAD.replace("sections:", "sections: intro\nx:", 1)), 3,
     "'sections' must be a list of sections, got 'intro'", None),
    ("unknown key", "bad-one.yaml", _put(BAD + "relatd: []\n"), 14,
     "the article: unknown key 'relatd' (did you mean 'related'?)", None),
    ("empty file", "bad-one.yaml", _put(""), 1, "the file is empty", None),
    ("control character", "bad-one.yaml", _put(BAD.replace("Pressure.", "Pres\x00sure.")), 9,
     "the file contains a control character '\\x00' YAML does not allow", None),
    ("not UTF-8", "bad-one.yaml",
     _put_bytes(BAD.replace("Pressure.", "Pression \xe9lev\xe9e.").encode("latin-1")), 9,
     "is not UTF-8: byte 0xe9 cannot be decoded; save the file as UTF-8", None),
    ("duplicate id", "numb-leg-copy.yaml", _put("# copied\n" + VALID), 2,
     "duplicate id 'numb-leg': numb-leg.yaml already has it",
     "id 'numb-leg' does not match the file name; the file must be named numb-leg.yaml"),
    ("link outside", "bad-one.yaml", _link_outside, None,
     "is a link to {elsewhere}/bad-one.yaml, outside the knowledge-base folder {kb_dir}; "
     "refusing to read it", None),
    ("1 GiB file", "bad-one.yaml", _huge_sparse, None,
     "is too large: 1024.0 MiB, the limit is 5.0 MiB", None),
    ("folder named .yaml", "bad-one.yaml", _folder, None, "is a folder, expected a file", None),
]


@pytest.fixture(params=BAD_FILES, ids=[row[0] for row in BAD_FILES])
def bad_kb(request, tmp_path, monkeypatch):
    """A knowledge base holding the good article and one bad file; the bad
    file is never opened when the row is a 1 GiB file (refused by size)."""
    case, name, make, line, check_says, index_says = request.param
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    (kb_dir / "numb-leg.yaml").write_text(VALID, encoding="utf-8")
    bad = kb_dir / name
    make(kb_dir, bad)
    if make is _huge_sparse:
        forbid_opening(monkeypatch, bad)
    where = f"{bad}:{line}" if line else f"{bad}"
    fill = {"elsewhere": os.path.realpath(tmp_path / "elsewhere"),
            "kb_dir": os.path.realpath(kb_dir)}
    return (kb_dir, bad, f"{where}: {check_says.format(**fill)}",
            f"{where}: {(index_says or check_says).format(**fill)}")


def run(*args):
    # A 1 GiB file is never read: bad_kb makes opening it fail the test.
    result = KbRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def test_kb_check_names_the_file_and_line_and_exits_1(bad_kb):
    kb_dir, bad, check_says, _ = bad_kb
    result = run("check", "--kb-dir", kb_dir)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith(check_says)]
    assert result.stderr.splitlines()[-1] == f"{len(result.stderr.splitlines()) - 1} " \
                                              f"problem(s) in {kb_dir}"


def test_kb_index_skips_the_bad_file_with_its_message_and_indexes_the_rest(bad_kb, tmp_path):
    kb_dir, bad, _, index_says = bad_kb
    result = run("index", "--kb-dir", kb_dir, "--index-dir", tmp_path / "index")
    assert result.exit_code == 0, result.output
    [skipped] = result.stderr.splitlines()
    assert skipped.startswith(f"skipped: {index_says}")
    assert result.stdout.startswith("Indexed 1 articles, 3 passages: 1 added")
    engine = SearchIndex(tmp_path / "index")
    try:
        assert [r.id for r in engine.search("pressure").hits] == [GOOD_HIT]
    finally:
        engine.close()


def test_the_site_serves_the_rest_and_shows_the_bad_article_as_a_plain_404(
        bad_kb, tmp_path, make_app):
    from index import sync_index

    kb_dir, bad, _, _ = bad_kb
    sync_index(kb_dir, tmp_path / "index", model=HASHED_MODEL)
    client = make_app(kb_dir, tmp_path / "index").test_client()
    for url in (f"/articles/{bad.stem}", f"/api/articles/{bad.stem}"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 404, url
        assert "Traceback" not in body and "Error:" not in body and str(kb_dir) not in body
    assert client.get("/articles/numb-leg").status_code == 200
    listed = [a["id"] for a in client.get("/api/articles").get_json()["articles"]]
    assert listed == ["numb-leg"]


# --- the folder itself, and a file changing under the builder --------------------------

@pytest.mark.parametrize("command, folder, says", [
    ("check", "kb", "cannot read the knowledge-base folder: permission denied"),
    ("index", "kb", "cannot read the knowledge-base folder: permission denied"),
    ("index", "index", "Permission denied"),
])
def test_an_unreadable_folder_is_one_line_and_exit_1(tmp_path, monkeypatch, command,
                                                      folder, says):
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    (kb_dir / "numb-leg.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "index").mkdir()
    locked = tmp_path / folder

    # Root reads any folder whatever its mode: fail the listing of this
    # folder as a permission check would for anyone else.
    real_listdir = os.listdir

    def listdir(path="."):
        if os.path.realpath(path) == os.path.realpath(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)
    monkeypatch.setattr(store.os, "listdir", listdir)
    index_option = ["--index-dir", tmp_path / "index"] if command == "index" else []
    result = run(command, "--kb-dir", kb_dir, *index_option)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {locked}: {says}\n"
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_an_article_rewritten_during_a_build_is_indexed_whole_and_picked_up_next_time(
        tmp_path, make_article):
    from index import sync_index

    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    before = make_article("cramps", "Cramps", facts=[("Calf", "Cramps grip the calf.")],
                          questions=[("Why?", "Tired calf muscles.")])
    after = make_article("cramps", "Cramps", facts=[("Foot", "Cramps grip the foot.")],
                         questions=[("Why?", "Tired foot muscles.")])
    write_article(before, kb_dir)

    def rewrite(plan) -> None:  # after planning, before writing the index
        write_article(after, kb_dir, force=True)
    sync_index(kb_dir, index_dir, on_plan=rewrite, model=HASHED_MODEL)

    engine = SearchIndex(index_dir)
    try:
        # One version, whole: every passage of the planned one, none of the new.
        assert sorted(r.id for r in engine.search("calf", per_page=50).hits) == \
            ["cramps#fact-1", "cramps#q-1"]
        assert engine.search("foot").hits == ()
        result = run("index", "--kb-dir", kb_dir, "--index-dir", index_dir)
        assert "0 added, 1 updated, 0 removed" in result.stdout
        assert engine.search("calf").hits == ()
        assert sorted(r.id for r in engine.search("foot", per_page=50).hits) == \
            ["cramps#fact-1", "cramps#q-1"]
    finally:
        engine.close()
