"""One snapshot per request: everything a page shows comes from one
generation, whatever `kb index` publishes while the page is made."""
from __future__ import annotations

import pytest

from index import Snapshot
from index.building.build import build_index
from support import HASHED_MODEL


@pytest.fixture
def index_with_two_versions(tmp_path, make_article):
    """An index of an article, and a function that publishes a second
    version of it beside a new article."""
    folder = tmp_path / "ix"
    old = make_article("glaucoma", "Glaucoma",
                       facts=[("Eye pressure", "Glaucoma harms the optic nerve slowly.")])
    build_index([old], folder, model=HASHED_MODEL)

    def publish_new() -> None:
        new = make_article("glaucoma", "Glaucoma",
                           facts=[("Eye pressure", "Glaucoma is treated with eye drops.")])
        other = make_article("glaucoma-drops", "Glaucoma drops",
                             facts=[("Drops", "Glaucoma drops lower the pressure.")])
        build_index([new, other], folder, model=HASHED_MODEL)
    return folder, publish_new


def test_a_pages_results_filters_and_suggestions_come_from_one_generation_while_another_is_published(
        index_with_two_versions, make_app, tmp_path, monkeypatch):
    import webapp.results_page as results_page

    folder, publish_new = index_with_two_versions
    client = make_app(tmp_path / "kb", folder).test_client()
    asked: list[tuple[str, str]] = []
    for method in ("filters", "pool", "hits", "suggest", "articles"):
        real = getattr(Snapshot, method)

        def recording(self, *args, _real=real, _name=method, **kwargs):
            asked.append((_name, self.name))
            return _real(self, *args, **kwargs)
        monkeypatch.setattr(Snapshot, method, recording)
    real_grouped = results_page.grouped

    def grouped_after_a_publish(snapshot, request):
        publish_new()  # between the page's filters and its results
        return real_grouped(snapshot, request)
    monkeypatch.setattr(results_page, "grouped", grouped_after_a_publish)

    html = client.get("/search?q=glaucoma").get_data(as_text=True)

    assert {name for _, name in asked} == {"gen-000001"}
    assert {"filters", "pool", "hits", "suggest"} <= {method for method, _ in asked}
    assert "optic nerve" in html and "eye drops" not in html and "Glaucoma drops" not in html
    monkeypatch.setattr(results_page, "grouped", real_grouped)
    asked.clear()
    html = client.get("/search?q=glaucoma").get_data(as_text=True)
    assert {name for _, name in asked} == {"gen-000002"}
    assert "eye drops" in html and "optic nerve" not in html


def test_a_snapshot_keeps_its_generation_readable_after_a_newer_one_is_taken(
        index_with_two_versions):
    from index import SearchIndex

    folder, publish_new = index_with_two_versions
    engine = SearchIndex(folder, meaning=False)
    try:
        with engine.snapshot() as old:
            publish_new()
            with engine.snapshot() as new:
                assert (old.name, new.name) == ("gen-000001", "gen-000002")
                assert "optic" in old.search("glaucoma").hits[0].snippet.text
                assert "drops" in new.search("glaucoma").hits[0].snippet.text
            # The older snapshot's searcher is still open after the newer one closed.
            assert old.search("nerve").total == 1
    finally:
        engine.close()


@pytest.fixture
def held_loads(monkeypatch):
    """Generation.load made to wait until the returned event is set."""
    import threading

    from index.reading.searchers import Generation

    go = threading.Event()
    real = Generation.load

    def held(self, *args, **kwargs):
        assert go.wait(120), "a hang guard"
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Generation, "load", held)
    yield go
    go.set()


def _name_once(engine) -> str:
    with engine.snapshot() as snapshot:
        return snapshot.name


def test_a_servers_searchers_serve_the_previous_generation_until_the_new_one_is_loaded(
        index_with_two_versions, held_loads):
    import time

    from index import SearchIndex

    folder, publish_new = index_with_two_versions
    engine = SearchIndex(folder, meaning=False, warm_first=True)
    try:
        assert _name_once(engine) == "gen-000001"
        publish_new()
        for _ in range(3):  # its load is held: the old one answers
            assert _name_once(engine) == "gen-000001"
        held_loads.set()
        deadline = time.monotonic() + 120  # a hang guard
        while _name_once(engine) != "gen-000002":
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        engine.close()


def test_without_warm_first_the_next_search_opens_a_new_generation(index_with_two_versions):
    from index import SearchIndex

    folder, publish_new = index_with_two_versions
    engine = SearchIndex(folder, meaning=False)
    try:
        assert _name_once(engine) == "gen-000001"
        publish_new()
        assert _name_once(engine) == "gen-000002"
    finally:
        engine.close()


def test_a_generation_the_build_has_removed_is_left_at_once(
        index_with_two_versions, held_loads, make_article):
    from index import SearchIndex

    folder, publish_new = index_with_two_versions
    engine = SearchIndex(folder, meaning=False, warm_first=True)
    try:
        assert _name_once(engine) == "gen-000001"
        publish_new()
        _name_once(engine)  # gen-000002 starts loading, held
        version = 0
        while (folder / "gen-000001").exists():  # each build keeps one generation before its own
            version += 1
            assert version < 5
            build_index([make_article("glaucoma", "Glaucoma", facts=[
                ("Eye pressure", f"Glaucoma, version {version}.")])], folder, model=HASHED_MODEL)
        newest = max(p.name for p in folder.glob("gen-*"))
        assert _name_once(engine) == newest
    finally:
        engine.close()
