"""Building the passage index: full, incremental, and never half-built."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh.writing import SegmentWriter

from index import generations
from kb import store
from index.building.build import build_index, index_status, passage_documents, plan, sync_index
from index import SearchIndex
from kb.errors import SearchIndexError
from kb.store import write_article, write_articles

from support import HASHED_MODEL, kb_environment, kb_command


@pytest.fixture
def small_articles(make_article):
    return [
        make_article("pins", "Pins", facts=[("Pins", "Tingling feels like pins.")]),
        make_article("cramps", "Cramps", facts=[("Cramps", "A cramp grips the calf muscle.")],
                     questions=[("Why at night?", "Muscles tire after a long day.")]),
        make_article("hiccups", "Hiccups", intro="Hiccups are spasms of the diaphragm."),
    ]


@pytest.fixture
def articles(seed_article, small_articles):
    return [seed_article, *small_articles]


def ids_found(index_dir, query, **options):
    """The passages the words of ``query`` find (what a build indexed)."""
    engine = SearchIndex(index_dir, meaning=False)
    try:
        return [r.id for r in engine.search(query, per_page=50, **options).hits]
    finally:
        engine.close()


def generation_names(index_dir):
    return sorted(p.name for p in index_dir.glob("gen-*"))


def building_folders(index_dir):
    return [p for p in index_dir.iterdir() if p.name.startswith(".building-")]


def test_a_full_build_indexes_every_passage(tmp_path, articles):
    report = build_index(articles, tmp_path, model=HASHED_MODEL)
    passages = sum(len(a.passages()) for a in articles)
    assert (report.articles, report.passages) == (len(articles), passages)
    assert (report.added, report.updated, report.removed) == (len(articles), 0, 0)
    assert report.full and report.changed
    assert report.generation == generations.current_generation(tmp_path).name
    assert ids_found(tmp_path, "diaphragm") == ["hiccups#intro"]
    assert "why-does-my-leg-go-numb-when-i-lay-down#fact-4" in ids_found(tmp_path, "sciatica")


def test_every_passage_becomes_one_document(seed_article):
    docs = list(passage_documents(seed_article))
    assert [d["id"] for d in docs] == [p.id for p in seed_article.passages()]
    assert len({d["id"] for d in docs}) == len(docs)


def test_an_unchanged_knowledge_base_makes_no_new_generation(tmp_path, articles):
    first = build_index(articles, tmp_path, model=HASHED_MODEL)
    again = build_index(articles, tmp_path, model=HASHED_MODEL)
    assert not again.changed and again.generation is None
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert generation_names(tmp_path) == [first.generation]


def test_changing_one_article_updates_only_it(tmp_path, articles, make_article):
    build_index(articles, tmp_path, model=HASHED_MODEL)
    changed = make_article("pins", "Pins", facts=[("Pins", "Tingling feels like needles.")])
    report = build_index([articles[0], changed, *articles[2:]], tmp_path, model=HASHED_MODEL)
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert not report.full
    assert ids_found(tmp_path, "needles") == ["pins#fact-1"]
    assert ids_found(tmp_path, "pins") == ["pins#fact-1"]  # no stale copy
    assert ids_found(tmp_path, "diaphragm") == ["hiccups#intro"]


def test_adding_an_article_adds_only_it(tmp_path, articles, make_article):
    build_index(articles, tmp_path, model=HASHED_MODEL)
    extra = make_article("yawns", "Yawns", intro="Yawning cools the brain.")
    report = build_index([*articles, extra], tmp_path, model=HASHED_MODEL)
    assert (report.added, report.updated, report.removed) == (1, 0, 0)
    assert ids_found(tmp_path, "yawning") == ["yawns#intro"]


def test_removing_an_article_removes_its_passages(tmp_path, articles):
    build_index(articles, tmp_path, model=HASHED_MODEL)
    report = build_index([a for a in articles if a.id != "hiccups"], tmp_path, model=HASHED_MODEL)
    assert (report.added, report.updated, report.removed) == (0, 0, 1)
    assert ids_found(tmp_path, "diaphragm") == []
    assert ids_found(tmp_path, "calf") == ["cramps#fact-1"]


def test_a_full_rebuild_makes_a_new_generation_from_nothing(tmp_path, articles):
    first = build_index(articles, tmp_path, model=HASHED_MODEL)
    report = build_index(articles, tmp_path, full=True, model=HASHED_MODEL)
    assert report.full and report.changed and report.generation != first.generation
    assert report.added == len(articles)
    assert ids_found(tmp_path, "diaphragm") == ["hiccups#intro"]


def test_progress_counts_every_article_written(tmp_path, articles):
    written = []
    build_index(articles, tmp_path, progress=written.append, model=HASHED_MODEL)
    assert sum(written) == len(articles)


def test_a_writer_failing_midway_leaves_the_previous_generation_serving(
        tmp_path, articles, monkeypatch):
    served = build_index(articles[:2], tmp_path, model=HASHED_MODEL).generation
    real_add = SegmentWriter.add_document
    calls = []

    def failing_add(self, **fields):
        calls.append(fields["id"])
        if len(calls) > 3:
            raise OSError("disk full")
        return real_add(self, **fields)

    monkeypatch.setattr(SegmentWriter, "add_document", failing_add)
    with pytest.raises(OSError):
        build_index(articles, tmp_path, full=True, model=HASHED_MODEL)
    monkeypatch.undo()

    assert generations.current_generation(tmp_path).name == served
    assert building_folders(tmp_path) == []
    assert "why-does-my-leg-go-numb-when-i-lay-down#fact-4" in ids_found(tmp_path, "sciatica")
    assert ids_found(tmp_path, "diaphragm") == []
    report = build_index(articles, tmp_path, model=HASHED_MODEL)
    assert report.added == len(articles) - 2
    assert ids_found(tmp_path, "diaphragm") == ["hiccups#intro"]
    assert building_folders(tmp_path) == []


def test_an_interrupt_from_the_progress_callback_leaves_the_previous_generation(
        tmp_path, articles):
    served = build_index(articles[:1], tmp_path, model=HASHED_MODEL).generation

    def interrupt(n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(articles, tmp_path, progress=interrupt, model=HASHED_MODEL)
    assert generations.current_generation(tmp_path).name == served
    assert ids_found(tmp_path, "diaphragm") == []
    assert not up_to_date(articles, tmp_path)
    build_index(articles, tmp_path, model=HASHED_MODEL)
    assert building_folders(tmp_path) == []
    assert up_to_date(articles, tmp_path)


def test_leftovers_of_a_killed_build_are_cleaned_up_and_the_next_build_succeeds(
        tmp_path, articles):
    served = build_index(articles[:1], tmp_path, model=HASHED_MODEL).generation
    leftover = tmp_path / ".building-x1y2z3"
    leftover.mkdir()
    (leftover / "_MAIN_1.toc").write_bytes(b"half a toc")
    (tmp_path / generations.LOCK).write_text("999999")  # its holder is gone
    report = build_index(articles, tmp_path, lock_wait=0, model=HASHED_MODEL)
    assert report.changed and report.generation != served
    assert not leftover.exists()
    assert ids_found(tmp_path, "diaphragm") == ["hiccups#intro"]


def test_a_second_builder_fails_while_the_lock_is_held(tmp_path, articles):
    build_index(articles[:1], tmp_path, model=HASHED_MODEL)
    before = generation_names(tmp_path)
    with generations.builder_lock(tmp_path):
        with pytest.raises(SearchIndexError) as caught:
            build_index(articles, tmp_path, lock_wait=0.2, model=HASHED_MODEL)
    assert "another `kb index` is building" in str(caught.value)
    assert generation_names(tmp_path) == before


def test_a_search_index_opened_before_a_rebuild_keeps_answering_then_sees_it(
        tmp_path, articles, make_article):
    build_index(articles, tmp_path, model=HASHED_MODEL)
    engine = SearchIndex(tmp_path)
    try:
        assert [r.id for r in engine.search("diaphragm").hits] == ["hiccups#intro"]
        changed = make_article("hiccups", "Hiccups", intro="Hiccups can follow a fizzy drink.")
        build_index([*articles[:3], changed], tmp_path, model=HASHED_MODEL)
        build_index([*articles[:3], changed], tmp_path, full=True, model=HASHED_MODEL)
        assert engine.search("diaphragm").hits == ()
        assert [r.id for r in engine.search("fizzy").hits] == ["hiccups#intro"]
    finally:
        engine.close()


def test_old_generations_are_pruned_after_a_build(tmp_path, articles):
    for _ in range(4):
        build_index(articles, tmp_path, full=True, model=HASHED_MODEL)
    assert len(generation_names(tmp_path)) == generations.KEEP_PREVIOUS + 1


def up_to_date(articles, index_dir) -> bool:
    manifest = generations.read_manifest(generations.current_generation(index_dir))
    return plan(articles, manifest).empty


def test_index_status_missing_stale_current(tmp_path, articles, make_article):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_articles(articles, kb_dir)
    assert index_status(kb_dir, index_dir) == "missing"
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    assert index_status(kb_dir, index_dir) == "current"
    (kb_dir / f"{articles[-1].id}.yaml").unlink()
    assert index_status(kb_dir, index_dir) == "stale"
    write_article(make_article("hiccups", "Hiccups", intro="Changed."), kb_dir, force=True)
    assert index_status(kb_dir, index_dir) == "stale"


def test_a_sync_reads_only_the_files_changed_since_the_last_build(
        tmp_path, articles, make_article, monkeypatch):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_articles(articles, kb_dir)
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    read = []
    real_load = store.load_article
    monkeypatch.setattr(store, "load_article",
                        lambda path: read.append(path.stem) or real_load(path))
    write_article(make_article("hiccups", "Hiccups", intro="Diaphragm spasm, changed."),
                  kb_dir, force=True)
    report = sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    assert read == ["hiccups"]
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert report.articles == len(articles)


def test_a_touched_but_unchanged_file_makes_no_new_generation_and_is_not_read_again(
        tmp_path, articles, monkeypatch):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_articles(articles, kb_dir)
    served = sync_index(kb_dir, index_dir, model=HASHED_MODEL).generation
    os.utime(kb_dir / f"{articles[0].id}.yaml", ns=(1, 1))
    assert sync_index(kb_dir, index_dir, model=HASHED_MODEL).generation is None
    assert generations.current_generation(index_dir).name == served
    read = []
    real_load = store.load_article
    monkeypatch.setattr(store, "load_article",
                        lambda path: read.append(path.stem) or real_load(path))
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    assert read == []


def test_a_broken_edit_is_reported_and_the_last_good_version_stays_searchable(
        tmp_path, seed_article):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    write_articles([seed_article], kb_dir)
    sync_index(kb_dir, index_dir, model=HASHED_MODEL)
    path = kb_dir / f"{seed_article.id}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("number: 4", "number: four"),
                    encoding="utf-8")
    problems = []
    report = sync_index(kb_dir, index_dir, on_problem=problems.append, model=HASHED_MODEL)
    assert [p.path for p in problems] == [str(path)]
    assert "number" in problems[0].message and problems[0].line
    assert report.generation is None
    assert f"{seed_article.id}#fact-4" in ids_found(index_dir, "sciatica")


def test_a_full_build_repairs_a_pointer_to_a_missing_generation(tmp_path, articles):
    # The error message of a dangling CURRENT tells the reader to run
    # `kb index --full`; that build must then succeed.
    build_index(articles, tmp_path, model=HASHED_MODEL)
    shutil.rmtree(generations.current_generation(tmp_path))
    with pytest.raises(SearchIndexError):
        build_index(articles, tmp_path, model=HASHED_MODEL)
    report = build_index(articles, tmp_path, full=True, model=HASHED_MODEL)
    assert report.changed
    assert ids_found(tmp_path, "diaphragm") == ["hiccups#intro"]


# --- a real `kb index` process, killed midway -------------------------------

GENERATED = 2000  # with the seed, enough for a parallel build (index/building/build.py)
# Hang guards, never speed limits.
BUILD_GUARD = 600.0
WRITERS_GUARD = 300.0


def generated_articles(make_article, count):
    return [make_article(f"note-{i:04d}", f"Note {i}",
                         facts=[(f"Note {i}", f"Generated note about marker{i} and calves.")])
            for i in range(count)]


def run_kb(*args, **options):
    return subprocess.Popen([*kb_command(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=kb_environment(), **options)


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still running (Linux)."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in listed if _running(int(child))]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_kb_index_leaves_the_old_generation_serving_and_the_next_build_succeeds(
        tmp_path, seed_article, make_article, monkeypatch):
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", lambda fd: None)  # durability is moot in tmp_path
        write_articles([seed_article, *generated_articles(make_article, GENERATED)], kb_dir)
    served = build_index([seed_article], index_dir, model=HASHED_MODEL).generation
    options = ["--kb-dir", str(kb_dir), "--index-dir", str(index_dir)]

    builder = run_kb("index", "--full", *options)
    # Killed once its writer processes are writing: they must die with it.
    deadline = time.monotonic() + WRITERS_GUARD
    while not (building_folders(index_dir) and children(builder.pid)):
        assert builder.poll() is None, builder.communicate()
        assert time.monotonic() < deadline, "no writer process appeared"
        time.sleep(0.01)
    writers = children(builder.pid)
    builder.send_signal(signal.SIGKILL)
    builder.communicate()
    assert builder.returncode == -signal.SIGKILL
    deadline = time.monotonic() + WRITERS_GUARD
    while any(_running(w) for w in writers):
        assert time.monotonic() < deadline, "a writer process outlived the killed build"
        time.sleep(0.05)

    assert generations.current_generation(index_dir).name == served
    assert building_folders(index_dir), "the build finished before it was killed"
    assert "why-does-my-leg-go-numb-when-i-lay-down#fact-4" in ids_found(index_dir, "sciatica")
    assert ids_found(index_dir, "marker1999") == []

    out, err = run_kb("index", *options).communicate(timeout=BUILD_GUARD)
    assert f"Indexed {GENERATED + 1} articles" in out, err
    assert building_folders(index_dir) == []
    assert ids_found(index_dir, "marker1999") == ["note-1999#fact-1"]
