"""The editors' query log: what readers searched, and whether it found
anything, so editors know which articles or synonyms to add.

Privacy first: a line holds the day (UTC, no finer), an outcome and the
query's text, normalised (lower case, spaces collapsed, any run of four or
more digits masked, cut at MAX_QUERY_CHARS); a query holding an "@" (an
e-mail address) is not logged at all. No address, no user agent, no cookie,
no time of day.

Several site processes append to one file: each line is written by one
``write`` of a file opened with O_APPEND, which the kernel keeps whole and
unmixed for lines this short. Beyond ``max_bytes`` the file rolls over to
``queries.log.1`` (replacing the older one), so the log never holds more
than twice that. ``kb report`` reads both.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

LOG_NAME = "queries.log"
MAX_BYTES = 2_000_000
MAX_QUERY_CHARS = 200
# What a search found: nothing, only weak results, or results.
NONE, WEAK, FOUND = "none", "weak", "found"
OUTCOMES = (NONE, WEAK, FOUND)
OFF_VALUES = ("0", "off", "false", "no")

_DIGITS = re.compile(r"\d{4,}")
_SPACE = re.compile(r"\s+")


def log_dir_for(index_dir: Path) -> Path:
    """The log's folder: beside the index folder, never inside a generation
    (generations are replaced whole by every build)."""
    index_dir = Path(index_dir)
    return index_dir.parent / f"{index_dir.name}-query-log"


def normalise(query: str) -> str | None:
    """The text a query is logged as, or None when it is not logged."""
    text = _SPACE.sub(" ", query.casefold()).strip()
    if not text or "@" in text:
        return None
    text = _DIGITS.sub(lambda m: "#" * len(m.group()), text)
    return text[:MAX_QUERY_CHARS].strip()


class QueryLog:
    """The log in ``folder`` (made on the first line written)."""

    def __init__(self, folder: Path, max_bytes: int = MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOG_NAME
        self.max_bytes = max_bytes

    def record(self, query: str, outcome: str, day: dt.date | None = None) -> None:
        """Append one search; OSError when the folder cannot be written."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        text = normalise(query)
        if text is None:
            return
        day = day or dt.datetime.now(dt.timezone.utc).date()
        line = f"{day.isoformat()}\t{outcome}\t{text}\n".encode("utf-8")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except FileNotFoundError:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > self.max_bytes:
            self._roll()

    def _roll(self) -> None:
        """Move a full log to ``.1``: one process does it, the others, who
        find the lock taken, go on (their next line starts the new file)."""
        fd = os.open(self.folder / ".roll.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                if self.path.stat().st_size > self.max_bytes:
                    os.replace(self.path, self.path.with_name(LOG_NAME + ".1"))
        finally:
            os.close(fd)  # releases the lock

    def lines(self) -> Iterator[tuple[dt.date, str, str]]:
        """Every logged search, oldest file first; a damaged line is skipped."""
        for path in (self.path.with_name(LOG_NAME + ".1"), self.path):
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    for raw in f:
                        parts = raw.rstrip("\n").split("\t")
                        if len(parts) != 3 or parts[1] not in OUTCOMES or not parts[2]:
                            continue
                        try:
                            day = dt.date.fromisoformat(parts[0])
                        except ValueError:
                            continue
                        yield day, parts[1], parts[2]
            except FileNotFoundError:
                continue


@dataclass(frozen=True)
class ReportRow:
    query: str
    searches: int
    found_nothing: int
    weak: int

    @property
    def missed(self) -> int:
        return self.found_nothing + self.weak


def report(lines: Iterable[tuple[dt.date, str, str]], *, since: dt.date | None = None,
           limit: int = 25) -> tuple[int, list[ReportRow]]:
    """The number of searches logged (since ``since``) and the queries that
    most often found nothing or only weak results, most missed first."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    total = 0
    for day, outcome, text in lines:
        if since is not None and day < since:
            continue
        total += 1
        counts[text][OUTCOMES.index(outcome)] += 1
    rows = [ReportRow(text, sum(c), c[0], c[1]) for text, c in counts.items() if c[0] or c[1]]
    rows.sort(key=lambda r: (-r.missed, -r.searches, r.query))
    return total, rows[:limit]


def disabled_by_env(environ=os.environ) -> bool:
    """Whether KB_QUERY_LOG turns the log off (0, off, false, no)."""
    return environ.get("KB_QUERY_LOG", "").strip().lower() in OFF_VALUES
