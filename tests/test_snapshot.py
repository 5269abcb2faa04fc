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
