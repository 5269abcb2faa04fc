"""The editors' query log: what it keeps, that it never fails a search, that
several processes can write it, and `kb report`."""
from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import pytest

from kb.cli import main
import kb.querylog
from kb.querylog import (FOUND, NONE, WEAK, QueryLog, log_dir_for, logged_form, report)

from support import HASHED_MODEL

DAY = dt.date(2025, 3, 4)
LOG_NAME = "queries-2025-03-04.log"


@pytest.mark.parametrize("query, logged", [
    ("  Pins  and\tNEEDLES ", "pins and needles"),
    ("call 5551234567 now", "call [phone] now"),
    ("code 12345 x", "code ##### x"),
    ("type 2 diabetes", "type 2 diabetes"),
    ("write to me@example.org", None),
    ("   ", None),
])
def test_a_query_is_logged_normalised_and_never_with_contact_details(query, logged):
    assert logged_form(query) == logged


def test_a_line_holds_the_day_the_outcome_and_the_text_only(tmp_path):
    log = QueryLog(tmp_path / "log", days=100_000)
    log.record("Sciatica", FOUND, day=DAY)
    assert (tmp_path / "log" / LOG_NAME).read_text() == "2025-03-04\tfound\tsciatica\n"


def test_the_log_is_beside_the_index_folder_not_inside_it(tmp_path):
    assert log_dir_for(tmp_path / "index") == tmp_path / "index-query-log"


def test_a_days_file_stops_growing_at_its_cap(tmp_path):
    log = QueryLog(tmp_path, days=100_000, max_day_bytes=200)
    written = [log.record(f"query number {n}", NONE, day=DAY) for n in range(100)]
    assert written[0] and not written[-1]
    assert (tmp_path / LOG_NAME).stat().st_size <= 200 + 40


def _write_many(folder: str, worker: int, count: int) -> None:
    log = QueryLog(Path(folder), days=100_000)
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
    assert len(list(QueryLog(tmp_path, days=100_000).lines(today=DAY))) == workers * count
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
    from index.building.build import build_index
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


def test_a_log_that_cannot_be_written_is_reported_once_and_never_fails_a_search(
        logged_app, tmp_path, caplog):
    (tmp_path / "index-query-log").write_text("a file where the folder should be")
    client = logged_app.test_client()
    response = client.get("/search?q=sciatica")
    assert response.status_code == 200 and "Sciatica" in response.get_data(as_text=True)
    for query in ("sciatica", "cramps", "numbness"):
        assert client.get(f"/api/search?q={query}").status_code == 200
    warnings = [r for r in caplog.records if "query log" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert f"cannot write {tmp_path / 'index-query-log'}" in warnings[0].getMessage()


# --- privacy ----------------------------------------------------------------------------

@pytest.mark.parametrize("query, logged", [
    ("my name is john smith and i have hiv, born 12/03/85",
     "my name is [name] and i have hiv, born [date]"),
    ("My son Jake has asthma", "my son [name] has asthma"),
    ("i am diabetic", "i am diabetic"),
    ("dr. jones says rest", "dr. [name] says rest"),
    ("call 555-123-4567 or +44 20 7946 0958", "call [phone] or [phone]"),
    ("rash since 3rd of May 1985", "rash since [date]"),
    ("covid 2020-03-15", "covid [date]"),
    ("may i take aspirin in march", "may i take aspirin in march"),
    ("ibuprofen 200-400 mg", "ibuprofen 200-400 mg"),
    ("member 123456789", "member [phone]"),
])
def test_likely_names_dates_and_phone_numbers_are_masked(query, logged):
    assert logged_form(query) == logged


def test_the_log_is_the_site_users_only_0600_in_a_0700_folder(tmp_path):
    import os
    import stat

    old_umask = os.umask(0o000)  # the most permissive: nothing masked by it
    try:
        QueryLog(tmp_path / "log", days=100_000).record("sciatica", FOUND, day=DAY)
        # A folder and file an earlier version left open to everyone close too.
        legacy = tmp_path / "legacy"
        legacy.mkdir(mode=0o755)
        (legacy / LOG_NAME).write_text("")
        (legacy / LOG_NAME).chmod(0o644)
        QueryLog(legacy, days=100_000).record("sciatica", FOUND, day=DAY)
    finally:
        os.umask(old_umask)
    for folder in (tmp_path / "log", legacy):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / LOG_NAME).stat().st_mode) == 0o600


def test_days_past_the_retention_period_are_deleted_and_never_reported(tmp_path, monkeypatch):
    log = QueryLog(tmp_path, days=30)
    old, kept = DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=29)
    for day in (old, kept):
        log.record("cramps", NONE, day=day)
    (tmp_path / "queries.log").write_text(f"{old}\tnone\tlegacy\n{kept}\tnone\tlegacy kept\n")
    assert [t for _, _, t in log.lines(today=DAY)] == ["legacy kept", "cramps"]
    log.record("sciatica", FOUND, day=DAY)  # a new day: the old ones go
    assert not (tmp_path / f"queries-{old}.log").exists()
    assert (tmp_path / f"queries-{kept}.log").exists()
    monkeypatch.setenv("KB_QUERY_LOG_DAYS", "100000")
    assert kb.querylog.retention_days() == 30  # bounded: at most a year
    monkeypatch.setenv("KB_QUERY_LOG_DAYS", "7")
    assert QueryLog(tmp_path).days == 7


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_a_reader_whose_browser_asks_not_to_be_tracked_is_not_logged(logged_app, tmp_path,
                                                                     header):
    client = logged_app.test_client()
    client.get("/search?q=sciatica", headers=header)
    client.get("/api/search?q=zzqxv", headers=header)
    client.get("/api/search?q=cramps", headers={"DNT": "0"})  # not in the knowledge base
    assert logged(tmp_path) == [(NONE, "cramps")]


def test_a_query_counts_once_per_reader_per_day_and_nothing_of_the_reader_is_written(
        logged_app, tmp_path):
    client = logged_app.test_client()
    for _ in range(30):  # one client, thirty requests: one reader
        client.get("/api/search?q=buy+cheap+pills")
    for n in range(3):  # three readers behind the proxy on this host
        client.get("/api/search?q=zzqxv", headers={"X-Forwarded-For": f"10.0.0.{n}"})
    for n in range(3):  # a forged header from a remote peer is that peer
        client.get("/api/search?q=zzqxv", headers={"X-Forwarded-For": f"10.9.9.{n}"},
                   environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert logged(tmp_path) == [(NONE, "buy cheap pills")] + [(NONE, "zzqxv")] * 4
    folder = tmp_path / "index-query-log"
    [day_file] = folder.iterdir()
    text = day_file.read_text()
    assert "10.0.0" not in text and "203.0.113" not in text and "127.0.0.1" not in text
    assert all(len(line.split("\t")) == 3 for line in text.splitlines())


def test_the_footer_says_what_the_log_keeps_and_for_how_long(make_app, web_kb_dir, index_dir,
                                                            monkeypatch):
    from webapp import create_app
    from webapp.search import close_index

    monkeypatch.setenv("KB_QUERY_LOG_DAYS", "14")
    page = make_app(web_kb_dir, index_dir).test_client().get("/").get_data(as_text=True)
    assert "keeps the words of each search" in page and "for 14 days" in page
    assert "Do Not Track or Global Privacy" in page
    app = create_app({"TESTING": True, "KB_DIR": str(web_kb_dir), "INDEX_DIR": str(index_dir),
                      "QUERY_LOG": False})
    try:
        page = app.test_client().get("/").get_data(as_text=True)
    finally:
        close_index(app)
    assert "the site keeps no record of your searches" in page


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
    assert lines[0] == f"4 search(es) logged in the last 30 day(s) in {tmp_path / 'index-query-log'}."
    assert lines[1] == ("The log keeps 30 days; a query counts once per reader per day, "
                        "so counts are of distinct readers.")
    assert lines[-2].split() == ["2", "2", "0", "zzqxv"]
    assert lines[-1].split() == ["1", "0", "1", "pins\\x1b[2j"]


def test_kb_report_without_a_log_says_so(runner, tmp_path):
    result = runner.invoke(main, ["report", "--index-dir", str(tmp_path / "index")])
    assert result.exit_code == 0
    assert result.output.startswith("No searches logged in ")


def test_a_search_that_found_the_topic_named_is_found_and_a_link_only_best_result_is_weak():
    from index import Hit, Marked, SearchResponse, Source, TopicCard
    from webapp.querylog import outcome

    def hit(heading: str, answered: bool = True) -> Hit:
        return Hit("a#q-1", "a", "Acetaminophen", "question", 1, Marked(heading),
                   Marked("" if not answered else "It eases pain."), 1.0, answered=answered)
    card = TopicCard("Acetaminophen", (Source("a", "Acetaminophen", None, None, False),),
                     None, ())
    # None of the words typed is on the page, but the topic they name is.
    assert outcome(SearchResponse("tylenol", hits=(hit("Why is it used?", False),),
                                  total=1, topic=card)) == FOUND
    assert outcome(SearchResponse("tylenol", hits=(hit("Why is it used?", False),),
                                  total=1)) == WEAK
