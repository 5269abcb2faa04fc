"""kb/files.py and who relies on it: files others can read, no temporary
file left for ever, errors that name the file (issue 13, items 8 and 13)."""
from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

import pytest

from index import generations
from index.building.build import build_index
from kb.article import is_slug
from kb.files import write_atomic
from kb.store import write_article

from support import HASHED_MODEL


@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    saved = os.umask(0o022)

    def set_umask(value: int) -> None:
        os.umask(value)
    yield set_umask
    os.umask(saved)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640)])
def test_index_files_and_articles_get_the_permissions_the_umask_gives(
        tmp_path, make_article, umask, mask, expected):
    umask(mask)
    article = make_article("numb-leg", "Numb Leg", intro="A numb leg tingles.")
    build_index([article], tmp_path / "index", model=HASHED_MODEL)
    generation = generations.current_generation(tmp_path / "index")
    assert _mode(tmp_path / "index" / generations.CURRENT) == expected
    assert _mode(generation / generations.MANIFEST) == expected
    assert _mode(write_article(article, tmp_path / "kb")) == expected


def _old(path: Path) -> Path:
    path.write_text("half written", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    return path


def test_temporary_files_of_killed_imports_and_publishes_are_cleaned_up(
        tmp_path, kb_cli):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    kb_dir.mkdir()
    killed_import = _old(kb_dir / ".night-cramps.yaml.k2j3_abc.tmp")
    in_progress = kb_dir / ".other.yaml.0a1b2c3d.tmp"
    in_progress.write_text("being written now", encoding="utf-8")
    text = tmp_path / "cramps.txt"
    text.write_text("Night Cramps\nCramps happen at night.\n", encoding="utf-8")
    assert kb_cli("import", text, "--kb-dir", kb_dir).exit_code == 0
    assert not killed_import.exists() and in_progress.exists()

    assert kb_cli("index", "--kb-dir", kb_dir, "--index-dir", index_dir).exit_code == 0
    generation = generations.current_generation(index_dir)
    killed_publishes = [_old(index_dir / ".CURRENTab12cd_x"),
                        _old(index_dir / ".CURRENT.0a1b2c3d.tmp"),
                        _old(generation / ".manifest.jsonzz9_8yy7")]
    text.write_text("Night Cramps\nCramps happen at night, often.\n", encoding="utf-8")
    assert kb_cli("import", "--force", text, "--kb-dir", kb_dir).exit_code == 0
    assert kb_cli("index", "--kb-dir", kb_dir, "--index-dir", index_dir).exit_code == 0
    assert [p for p in killed_publishes if p.exists()] == []


def test_no_space_left_on_device_names_the_file(tmp_path, kb_cli, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)
    text = tmp_path / "cramps.txt"
    text.write_text("Night Cramps\nCramps happen at night.\n", encoding="utf-8")
    result = kb_cli("import", text, "--kb-dir", tmp_path / "kb")
    assert result.exit_code == 1
    assert result.stderr == (f"error: {tmp_path / 'kb' / 'night-cramps.yaml'}: "
                             "No space left on device\n")
    with pytest.raises(OSError) as caught:
        write_atomic(tmp_path / "plain.txt", "text")
    assert caught.value.filename == str(tmp_path / "plain.txt")


def test_an_index_dir_that_is_a_file_is_one_line_naming_it(tmp_path, kb_cli):
    not_a_folder = tmp_path / "index"
    not_a_folder.write_text("", encoding="utf-8")
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir()
    result = kb_cli("index", "--kb-dir", kb_dir, "--index-dir", not_a_folder)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {not_a_folder}: is not a folder; the index folder "
                             "(--index-dir) must be a folder or not exist yet\n")


@pytest.mark.parametrize("text", ["numb-leg\n", "numb-leg\r", "numb-leg ", "\nnumb-leg"])
def test_is_slug_refuses_a_trailing_or_leading_line_break(text):
    assert not is_slug(text)
    assert is_slug(text.strip())


def test_write_atomic_bytes_writes_chunks_whole_and_a_failure_midway_keeps_the_old_file(
        tmp_path):
    import numpy as np

    from kb.files import write_atomic_bytes

    path = tmp_path / "part.bin"
    array = np.arange(5, dtype=np.int32)
    write_atomic_bytes(path, [b"head", memoryview(array).cast("B"), b""])
    assert path.read_bytes() == b"head" + array.tobytes()

    def chunks():
        yield b"new head"
        raise KeyboardInterrupt  # killed between two chunks
    with pytest.raises(KeyboardInterrupt):
        write_atomic_bytes(path, chunks())
    assert path.read_bytes() == b"head" + array.tobytes()
    assert [p.name for p in tmp_path.iterdir()] == ["part.bin"]
