"""Index generations: publish whole or not at all, one builder at a time."""
from __future__ import annotations

import os

import pytest

from index import generations
from index.generations import (CURRENT, KEEP_PREVIOUS, LOCK, builder_lock,
                               current_generation, new_generation,
                               read_manifest, remove_leftovers, write_manifest)
from kb.errors import SearchIndexError


def publish(index_dir, base=None, files=("data.seg",)):
    with new_generation(index_dir, base) as folder:
        for name in files:
            (folder / name).write_text(name)
    return current_generation(index_dir)


def building_folders(index_dir):
    return [p for p in index_dir.iterdir() if p.name.startswith(".building-")]


def test_no_current_generation_in_an_empty_or_missing_folder(tmp_path):
    assert current_generation(tmp_path) is None
    assert current_generation(tmp_path / "missing") is None


def test_a_generation_is_published_when_its_block_succeeds(tmp_path):
    gen = publish(tmp_path)
    assert gen is not None and gen.parent == tmp_path
    assert (tmp_path / CURRENT).read_text().strip() == gen.name
    assert (gen / "data.seg").read_text() == "data.seg"
    assert building_folders(tmp_path) == []


def test_each_publication_is_a_new_generation(tmp_path):
    first = publish(tmp_path)
    second = publish(tmp_path)
    assert first != second
    assert current_generation(tmp_path) == second
    assert second.name > first.name


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_block_publishes_nothing_and_leaves_no_folder(tmp_path, error):
    served = publish(tmp_path)
    with pytest.raises(error):
        with new_generation(tmp_path, served) as folder:
            (folder / "half.seg").write_text("half")
            raise error()
    assert current_generation(tmp_path) == served
    assert (served / "data.seg").exists()
    assert building_folders(tmp_path) == []
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == [served.name]


def test_a_generation_built_on_a_base_starts_as_hard_links_without_its_manifest(tmp_path):
    base = publish(tmp_path)
    write_manifest(base, {"format": 1})
    with new_generation(tmp_path, base) as folder:
        linked = folder / "data.seg"
        assert linked.exists()
        assert os.stat(linked).st_ino == os.stat(base / "data.seg").st_ino
        assert not (folder / generations.MANIFEST).exists()


def test_a_missing_current_file_means_no_generation_but_a_dangling_one_is_an_error(tmp_path):
    (tmp_path / CURRENT).write_text("gen-000009")
    with pytest.raises(SearchIndexError) as caught:
        current_generation(tmp_path)
    assert caught.value.path == str(tmp_path / CURRENT)
    assert "gen-000009" in str(caught.value)


def test_current_must_name_a_generation_folder(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / CURRENT).write_text("elsewhere")
    with pytest.raises(SearchIndexError):
        current_generation(tmp_path)


def test_leftover_building_folders_are_removed(tmp_path):
    served = publish(tmp_path)
    leftover = tmp_path / ".building-killed"
    leftover.mkdir()
    (leftover / "half.seg").write_text("half")
    remove_leftovers(tmp_path)
    assert not leftover.exists()
    assert current_generation(tmp_path) == served


def test_the_current_and_previous_generations_are_kept_older_ones_removed(tmp_path):
    gens = [publish(tmp_path) for _ in range(KEEP_PREVIOUS + 3)]
    remove_leftovers(tmp_path)
    kept = sorted(tmp_path.glob("gen-*"))
    assert kept == gens[-(KEEP_PREVIOUS + 1):]
    assert current_generation(tmp_path) == gens[-1]


def test_manifest_round_trip(tmp_path):
    gen = publish(tmp_path)
    assert read_manifest(gen) == {}
    write_manifest(gen, {"format": 1, "articles": {"a": {"hash": "x", "title": "A"}}})
    assert read_manifest(gen)["articles"]["a"]["title"] == "A"
    assert read_manifest(None) == {}


def test_an_unreadable_manifest_is_an_index_error_naming_it(tmp_path):
    gen = publish(tmp_path)
    (gen / generations.MANIFEST).write_text("{not json")
    with pytest.raises(SearchIndexError) as caught:
        read_manifest(gen)
    assert caught.value.path == str(gen / generations.MANIFEST)


def test_publishing_leaves_no_temporary_pointer_files(tmp_path):
    publish(tmp_path)
    publish(tmp_path)
    names = {p.name for p in tmp_path.iterdir() if not p.name.startswith("gen-")}
    assert names == {CURRENT}


def test_a_second_builder_is_refused_while_the_lock_is_held(tmp_path):
    with builder_lock(tmp_path):
        with pytest.raises(SearchIndexError) as caught:
            with builder_lock(tmp_path, wait_seconds=0.2):
                pass
    message = str(caught.value)
    assert "another" in message and "building" in message
    assert f"pid {os.getpid()}" in message


def test_the_lock_is_free_again_after_its_holder_finishes(tmp_path):
    with builder_lock(tmp_path):
        pass
    with builder_lock(tmp_path, wait_seconds=0):
        assert (tmp_path / LOCK).read_text() == str(os.getpid())


def test_a_stale_lock_file_from_a_dead_builder_does_not_block(tmp_path):
    # A killed builder leaves its .lock file, but the kernel drops its flock.
    (tmp_path / LOCK).write_text("999999")
    with builder_lock(tmp_path, wait_seconds=0):
        assert (tmp_path / LOCK).read_text() == str(os.getpid())


def test_builder_lock_creates_the_index_folder(tmp_path):
    folder = tmp_path / "new" / "index"
    with builder_lock(folder, wait_seconds=0):
        assert folder.is_dir()
