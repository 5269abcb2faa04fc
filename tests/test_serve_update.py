"""`kb serve` serves an existing index without the builder lock: the update
before serving is skipped with a notice when another build holds the lock
or the index folder is read-only (issue 13, item 7)."""
from __future__ import annotations

import errno
import os

import pytest

from index import generations
from kb.store import write_article


@pytest.fixture
def served(tmp_path, make_article, kb_cli, monkeypatch):
    """A knowledge base with an index of one article, then a second article
    written since; waitress replaced so `kb serve` returns once started."""
    monkeypatch.setattr("webapp.server.run_in_process", lambda app, sock, threads: None)
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_article(make_article("numb-leg", "Numb Leg", intro="A numb leg tingles."), kb_dir)
    assert kb_cli("index", "--kb-dir", kb_dir, "--index-dir", index_dir).exit_code == 0
    write_article(make_article("hiccups", "Hiccups", intro="A spasm."), kb_dir)
    return kb_dir, index_dir


def _serve(kb_cli, kb_dir, index_dir):
    return kb_cli("serve", "--port", "0", "--workers", "1", "--kb-dir", kb_dir,
                  "--index-dir", index_dir)


def test_kb_serve_serves_the_existing_index_while_another_build_holds_the_lock(
        served, kb_cli):
    kb_dir, index_dir = served
    with generations.builder_lock(index_dir):
        result = _serve(kb_cli, kb_dir, index_dir)
    assert result.exit_code == 0, result.stderr
    assert "Not updating the search index before serving: " in result.stderr
    assert "another `kb index` is building this index" in result.stderr
    assert "kb is serving 1 article(s) at http://127.0.0.1:" in result.stderr


def test_kb_serve_serves_the_existing_index_when_the_index_folder_is_read_only(
        served, kb_cli, monkeypatch):
    kb_dir, index_dir = served
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and \
                os.path.dirname(os.path.abspath(path)) == str(index_dir):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", read_only)
    result = _serve(kb_cli, kb_dir, index_dir)
    assert result.exit_code == 0, result.stderr
    assert (f"Not updating the search index before serving: {index_dir}: cannot write to "
            "the index folder: Read-only file system") in result.stderr
    assert "kb is serving 1 article(s)" in result.stderr


def test_kb_serve_still_brings_a_writable_index_up_to_date(served, kb_cli):
    kb_dir, index_dir = served
    result = _serve(kb_cli, kb_dir, index_dir)
    assert result.exit_code == 0, result.stderr
    assert "kb is serving 2 article(s)" in result.stderr


def _disk_full_when_publishing(monkeypatch, index_dir):
    """The disk fills up as a build writes its new generation's manifest."""
    def disk_full(writer, manifest):
        raise OSError(errno.ENOSPC, "No space left on device",
                      str(writer.folder / generations.MANIFEST))
    monkeypatch.setattr(generations.GenerationWriter, "put_manifest", disk_full)


def test_kb_serve_serves_the_last_good_generation_when_the_disk_is_full(
        served, kb_cli, monkeypatch):
    kb_dir, index_dir = served
    before = generations.current_generation(index_dir)
    _disk_full_when_publishing(monkeypatch, index_dir)
    result = _serve(kb_cli, kb_dir, index_dir)
    assert result.exit_code == 0, result.stderr
    assert (f"Not updating the search index before serving: {index_dir}: no space left on "
            "the disk of the index folder (No space left on device)") in result.stderr
    assert "serving the last good generation" in result.stderr
    assert "kb is serving 1 article(s)" in result.stderr
    assert generations.current_generation(index_dir) == before
    assert sorted(p.name for p in index_dir.iterdir() if p.is_dir()) == [before.name]


def test_kb_index_full_on_a_full_disk_names_the_folder_and_the_space_needed(
        served, kb_cli, monkeypatch):
    from kb.files import folder_size, human_size

    kb_dir, index_dir = served
    size = human_size(folder_size(generations.current_generation(index_dir)))
    _disk_full_when_publishing(monkeypatch, index_dir)
    result = kb_cli("index", "--full", "--kb-dir", kb_dir, "--index-dir", index_dir)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"Error: {index_dir}: no space left on the disk of the index folder (No space left on "
        f"device): a build needs up to about {size} free (the size of the current "
        "generation); ")
    assert line.endswith(" free")


def test_kb_serve_loads_the_synonyms_list_before_any_reader_asks(
        tmp_path, make_article, kb_cli, monkeypatch):
    import kb.synonyms

    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_article(make_article("numb-leg", "Numb Leg", intro="A numb leg tingles."), kb_dir)
    (kb_dir / "synonyms.yaml").write_text("groups:\n  - [tingles, prickles]\n", encoding="utf-8")
    answers = []

    def first_requests(app, sock, threads):
        def no_loading_now(path):
            raise AssertionError("the synonyms list was read on a reader's request")
        monkeypatch.setattr(kb.synonyms, "load_synonyms", no_loading_now)
        answers.append(app.test_client().get("/api/search?q=prickles"))
    monkeypatch.setattr("webapp.server.run_in_process", first_requests)
    result = _serve(kb_cli, kb_dir, index_dir)
    assert result.exit_code == 0, result.stderr
    [answer] = answers
    assert answer.status_code == 200
    assert [r["id"] for r in answer.get_json()["results"]] == ["numb-leg#intro"]
