"""The editors' query log: what it keeps, that it never fails a search, that
several processes can write it, and `kb report`."""
from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import pytest

from kb.cli import main
from kb.querylog import (FOUND, LOG_NAME, NONE, WEAK, QueryLog, log_dir_for, normalise,
                         report)

from support import HASHED_MODEL

DAY = dt.date(2025, 3, 4)


@pytest.mark.parametrize("query, logged", [
    ("  Pins  and\tNEEDLES ", "pins and needles"),
    ("call 5551234567 now", "call ########## now"),
    ("type 2 diabetes", "type 2 diabetes"),
    ("write to me@example.org", None),
    ("   ", None),
])
def test_a_query_is_logged_normalised_and_never_with_contact_details(query, logged):
    assert normalise(query) == logged


def test_a_line_holds_the_day_the_outcome_and_the_text_only(tmp_path):
    log = QueryLog(tmp_path / "log")
    log.record("Sciatica", FOUND, day=DAY)
    assert (tmp_path / "log" / LOG_NAME).read_text() == "2025-03-04\tfound\tsciatica\n"


def test_the_log_is_beside_the_index_folder_not_inside_it(tmp_path):
    assert log_dir_for(tmp_path / "index") == tmp_path / "index-query-log"


def test_a_full_log_rolls_over_so_it_stays_bounded(tmp_path):
    log = QueryLog(tmp_path, max_bytes=200)
    for n in range(100):
        log.record(f"query number {n}", NONE, day=DAY)
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert files == [LOG_NAME, LOG_NAME + ".1"]
    assert all(p.stat().st_size <= 200 + 40 for p in tmp_path.iterdir())
    assert [t for _, _, t in log.lines()][-1] == "query number 99"


def _write_many(folder: str, worker: int, count: int) -> None:
    log = QueryLog(Path(folder))
    for n in range(count):
        log.record(f"worker {worker} query {n} " + "x" * 60, WEAK, day=DAY)


def test_several_processes_append_whole_lines(tmp_path):
    workers, count = 4, 300
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_write_many, args=(str(tmp_path), w, count))
             for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    raw = (tmp_path / LOG_NAME).read_text().splitlines()
    assert len(raw) == workers * count
    assert len(list(QueryLog(tmp_path).lines())) == workers * count
    assert len(set(raw)) == workers * count


def test_the_report_lists_the_queries_most_often_missed_first():
    lines = [(DAY, NONE, "zzqxv")] * 3 + [(DAY, WEAK, "pins and needles")] * 2 \
        + [(DAY, FOUND, "pins and needles"), (DAY, FOUND, "sciatica")] \
        + [(DAY - dt.timedelta(days=40), NONE, "old query")]
    total, rows = report(lines)
    assert total == 8
    assert [(r.query, r.searches, r.found_nothing, r.weak) for r in rows] == [
        ("zzqxv", 3, 3, 0), ("pins and needles", 3, 0, 2), ("old query", 1, 1, 0)]
    total, rows = report(lines, since=DAY - dt.timedelta(days=30), limit=1)
    assert total == 7 and [r.query for r in rows] == ["zzqxv"]


# --- the site writes it --------------------------------------------------------------

@pytest.fixture
def index_dir(web_kb_dir, tmp_path) -> Path:
    from index.build import build_index
    from kb.store import check_knowledge_base

    build_index(check_knowledge_base(web_kb_dir)[0], tmp_path / "index", model=HASHED_MODEL)
    return tmp_path / "index"


@pytest.fixture
def logged_app(make_app, web_kb_dir, index_dir):
    return make_app(web_kb_dir, index_dir)


def logged(tmp_path) -> list[tuple[str, str]]:
    return [(o, t) for _, o, t in QueryLog(tmp_path / "index-query-log").lines()]


def test_searches_on_the_page_and_the_api_are_logged_with_their_outcome(logged_app, tmp_path):
    client = logged_app.test_client()
    client.get("/search?q=Sciatica")
    client.get("/api/search?q=zzqxv")
    client.get("/search?q=sciatca")        # found only as "sciatica"
    client.get("/api/search?q=leg&page=2&per_page=5")  # a later page: counted on its first
    client.get("/search/results?q=sci")   # live search while typing: not a search
    client.get("/search?q=+")              # nothing typed
    assert logged(tmp_path) == [(FOUND, "sciatica"), (NONE, "zzqxv"), (WEAK, "sciatca")]


@pytest.mark.parametrize("config, env", [({"QUERY_LOG": False}, None), ({}, "0"), ({}, "off")])
def test_the_log_is_off_with_one_setting(web_kb_dir, index_dir, tmp_path, monkeypatch,
                                         config, env):
    from webapp import create_app
    from webapp.search import close_index

    if env is not None:
        monkeypatch.setenv("KB_QUERY_LOG", env)
    app = create_app({"TESTING": True, "KB_DIR": str(web_kb_dir), "INDEX_DIR": str(index_dir),
                      **config})
    try:
        assert app.test_client().get("/search?q=sciatica").status_code == 200
    finally:
        close_index(app)
    assert not (tmp_path / "index-query-log").exists()


def test_a_log_that_cannot_be_written_never_fails_a_search(logged_app, tmp_path, caplog):
    (tmp_path / "index-query-log").write_text("a file where the folder should be")
    response = logged_app.test_client().get("/search?q=sciatica")
    assert response.status_code == 200 and "Sciatica" in response.get_data(as_text=True)
    assert logged_app.test_client().get("/api/search?q=sciatica").status_code == 200
    assert "query log: could not record a search" in caplog.text


# --- kb report ---------------------------------------------------------------------------

def test_kb_report_prints_the_missed_queries(runner, tmp_path):
    log = QueryLog(log_dir_for(tmp_path / "index"))
    today = dt.datetime.now(dt.timezone.utc).date()
    for outcome, text in [(NONE, "zzqxv"), (NONE, "zzqxv"), (WEAK, "pins\x1b[2J"),
                          (FOUND, "sciatica")]:
        log.record(text, outcome, day=today)
    result = runner.invoke(main, ["report", "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"4 search(es) logged in {tmp_path / 'index-query-log'}."
    assert lines[-2].split() == ["2", "2", "0", "zzqxv"]
    assert lines[-1].split() == ["1", "0", "1", "pins\\x1b[2j"]


def test_kb_report_without_a_log_says_so(runner, tmp_path):
    result = runner.invoke(main, ["report", "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 0
    assert result.output.startswith("No searches logged in ")
