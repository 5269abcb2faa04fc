"""Progress of long work on stderr (kb/progress.py): lines with the rate
and the time left where no terminal shows a bar."""
from __future__ import annotations

import re

from kb import progress as progress_module
from kb.progress import PROGRESS_FROM, Progress


def test_without_a_terminal_progress_is_logged_as_lines_with_the_rate_and_time_left(
        capsys, monkeypatch):
    monkeypatch.setattr(progress_module, "LOG_EVERY", 0.0)
    work = Progress("Reading MedQuAD")
    work.start(400)
    for _ in range(4):
        work.advance(100)
    work.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "Reading MedQuAD: 0/400"
    assert re.fullmatch(r"Reading MedQuAD: 100/400 \(25%, \d+/s, about [\d.]+ min left\)",
                        lines[1])
    assert re.fullmatch(r"Reading MedQuAD: 400/400 \(100%, \d+/s\)", lines[-1])


def test_lines_come_at_most_every_few_seconds_and_at_the_end(capsys):
    work = Progress("Embedding passages")
    for done in range(0, 1001):
        work.update(done, 1000)
    work.close()
    lines = capsys.readouterr().err.splitlines()
    # The start and the end: the steps between came faster than LOG_EVERY.
    assert len(lines) == 2
    assert lines[0] == "Embedding passages: 0/1000"
    assert lines[1].startswith("Embedding passages: 1000/1000 (100%")


def test_small_work_shows_no_progress(capsys):
    work = Progress("Indexing articles")
    work.start(PROGRESS_FROM - 1)
    for _ in range(PROGRESS_FROM - 1):
        work.advance()
    work.close()
    assert capsys.readouterr().err == ""


def test_on_a_terminal_the_bar_shows_the_rate_and_the_time_left(monkeypatch):
    import io

    terminal = io.StringIO()
    terminal.isatty = lambda: True
    monkeypatch.setattr(progress_module.sys, "stderr", terminal)
    clock = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    work = Progress("Embedding passages")
    work.start(1000)
    clock[0] += 10
    work.advance(500)
    assert work.bar.show_eta and work.bar.length == 1000
    assert re.search(r"50% .*\b50/s$", work.bar.format_progress_line())
    work.close()
