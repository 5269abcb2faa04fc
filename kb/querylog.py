"""The editors' query log: what readers searched, and whether it found
anything, so editors know which articles or synonyms to add.

Privacy first. A line holds the day (UTC, no finer), an outcome and the
query's text, lower-cased with spaces collapsed, likely names, dates and
phone numbers masked (``[name]``, ``[date]``, ``[phone]``), any other run
of four or more digits masked (``#``), cut at MAX_QUERY_CHARS; a query
holding an "@" (an e-mail address) is not logged at all. No address, no
user agent, no cookie, no time of day. A query counts once per reader per
day: the site passes a reader's key (its address), which is only hashed,
with a salt drawn at random each day and held in memory, into a set of
what was counted today that is never written; so ``kb report`` counts
distinct readers, and thirty requests from one client count once.

Files: one per day (``queries-YYYY-MM-DD.log``) in a folder only the site's
user may open (0700, files 0600); days older than the retention period
(RETENTION_DAYS, env KB_QUERY_LOG_DAYS, at most MAX_RETENTION_DAYS) are
deleted when a process logs its first search of a day, and never read. A
day's file stops growing at ``max_day_bytes``.

Several site processes append to one file: each line is written by one
``write`` of a file opened with O_APPEND, which the kernel keeps whole and
unmixed for lines this short.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import logging
import os
import re
import secrets
import stat
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

FILE_PREFIX, FILE_SUFFIX = "queries-", ".log"
# Files of earlier versions (one file, rolled over at 2 MB, no time limit),
# oldest first: read within the retention period, deleted once older than
# it; their lock file is deleted at once.
LEGACY_LOGS = ("queries.log.1", "queries.log")
LEGACY_LOCK = ".roll.lock"
MAX_DAY_BYTES = 2_000_000
MAX_QUERY_CHARS = 200
RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 365
DAYS_ENV = "KB_QUERY_LOG_DAYS"
DIR_ENV = "KB_QUERY_LOG_DIR"
# (reader, query) pairs a process remembers a day: under 100 bytes each
# (an 8-byte hash in a set), so under 10 MB; past it, that day's further searches are not logged
# (a flood of distinct queries must not push readers' queries out of the
# report, nor grow the process).
MAX_COUNTED_A_DAY = 100_000
# What a search found: nothing, only weak results, or results.
NONE, WEAK, FOUND = "none", "weak", "found"
OUTCOMES = (NONE, WEAK, FOUND)
OFF_VALUES = ("0", "off", "false", "no")

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d{4,}")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
          r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)?"
# 12/03/85, 12-03-1985, 1985.03.12; 12 march 1985, march 12th, 3rd of may:
# a month's name alone ("may", "march") is a word, not a date.
_DATE = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})\b"
    rf"|\b{_DAY_NUMBER}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{2,4}})?\b"
    rf"|\b{_MONTH}\s+{_DAY_NUMBER}(?:,?\s+\d{{2,4}})?\b"
    rf"|\b{_MONTH}\s+\d{{4}}\b")
# Seven digits or more (counted by _phone), with the separators phone
# numbers are written with.
_PHONE = re.compile(r"(?<![\w#])\+?\(?\d[\d ().-]{5,}\d(?![\w#])")
_PHONE_DIGITS = 7
# A name follows these words ("my name is john smith", "dr. jones"): up to
# three words, ending before a word a query goes on with ("and", "has"...).
_NAME_WORD = r"[^\W\d_][\w'-]*"
_NAMED = re.compile(
    r"\b(?:my name is|my name's|name is|i am called|i'm called|named|called|"
    r"mr|mrs|ms|miss|dr|prof)\.?\s+"
    rf"({_NAME_WORD}(?: {_NAME_WORD}){{0,2}})")
_NOT_NAMES = frozenset(
    "a an and am are as at aged age born but by diagnosed do does for from has "
    "have had how i i'm im in is it me my of on or so suffering the this to was "
    "what when where which who why with years year old about says said told "
    "tells thinks prescribed recommends recommended".split())
# A capitalised word right after these, in the query as typed, is a name:
# "my son Jake has asthma" (in lower case it may be a condition: "i am diabetic").
_RELATION = re.compile(
    r"(?i:\b(?:i am|i'm|im|this is|my (?:son|daughter|wife|husband|partner|mother|"
    r"father|mom|mum|dad|brother|sister|friend|child|baby|boy|girl|grandson|"
    r"granddaughter)))\s+([A-Z][a-z'-]+)\b")


def log_dir_for(index_dir: Path) -> Path:
    """The log's default folder: beside the index folder, never inside a
    generation (generations are replaced whole by every build)."""
    index_dir = Path(index_dir)
    return index_dir.parent / f"{index_dir.name}-query-log"


def retention_days(environ=os.environ) -> int:
    """How many days the log keeps: env KB_QUERY_LOG_DAYS (1 to
    MAX_RETENTION_DAYS), else RETENTION_DAYS."""
    raw = environ.get(DAYS_ENV, "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_RETENTION_DAYS:
        return int(raw)
    return RETENTION_DAYS


def logged_form(query: str) -> str | None:
    """The text a query is logged as, or None when it is not logged."""
    if "@" in query:
        return None
    # The masks read a bounded text: a few times what is kept is room enough.
    query = query[:4 * MAX_QUERY_CHARS]
    text = _RELATION.sub(lambda m: m[0][:m.start(1) - m.start()] + "[name]", query)
    text = _SPACE.sub(" ", text.casefold()).strip()
    if not text:
        return None
    text = _DATE.sub("[date]", text)
    text = _PHONE.sub(_phone, text)
    text = _DIGITS.sub(lambda m: "#" * len(m.group()), text)
    text = _NAMED.sub(_name, text)
    return text[:MAX_QUERY_CHARS].strip()


def _phone(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match[0])
    return "[phone]" if digits >= _PHONE_DIGITS else match[0]


def _name(match: re.Match) -> str:
    words = match[1].split(" ")
    named = list(itertools.takewhile(lambda w: w not in _NOT_NAMES, words))
    if not named:
        return match[0]
    rest = words[len(named):]
    return match[0][:match.start(1) - match.start()] + " ".join(["[name]", *rest])


class _Counted:
    """What was counted today, as salted hashes in memory only: the salt is
    drawn at random each day and never leaves the process, so neither the
    set nor a guess at a reader's address can be tied back to anyone."""

    def __init__(self) -> None:
        self._day: dt.date | None = None
        self._salt = b""
        self._seen: set[bytes] = set()
        self._full_warned = False
        self._lock = threading.Lock()

    def first_time(self, reader: str, text: str, day: dt.date) -> bool:
        """Whether ``reader`` searches ``text`` for the first time ``day``
        (False too once the day's set is full)."""
        with self._lock:
            if day != self._day:
                self._day, self._salt, self._seen = day, secrets.token_bytes(16), set()
                self._full_warned = False
            key = hashlib.blake2b(f"{reader}\0{text}".encode("utf-8"),
                                  key=self._salt, digest_size=8).digest()
            if key in self._seen:
                return False
            if len(self._seen) >= MAX_COUNTED_A_DAY:
                if not self._full_warned:
                    self._full_warned = True
                    log.warning("query log: %d distinct searches counted today; "
                                "no more are logged until tomorrow", MAX_COUNTED_A_DAY)
                return False
            self._seen.add(key)
            return True


class QueryLog:
    """The log in ``folder`` (made, 0700, on the first line written)."""

    def __init__(self, folder: Path, *, days: int | None = None,
                 max_day_bytes: int = MAX_DAY_BYTES) -> None:
        self.folder = Path(folder)
        self.days = retention_days() if days is None else days
        self.max_day_bytes = max_day_bytes
        self._counted = _Counted()
        self._pruned_on: dt.date | None = None
        self._private: set[Path] = set()

    def path_for(self, day: dt.date) -> Path:
        return self.folder / f"{FILE_PREFIX}{day.isoformat()}{FILE_SUFFIX}"

    def record(self, query: str, outcome: str, day: dt.date | None = None, *,
               reader: str | None = None) -> bool:
        """Append one search; False when it is not logged (not loggable, or
        ``reader`` already counted for it today, or the day's file is
        full). OSError when the folder cannot be written."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        text = logged_form(query)
        if text is None:
            return False
        day = day or _today()
        if reader is not None and not self._counted.first_time(reader, text, day):
            return False
        if self._pruned_on != day:
            self._make_folder()
            self.prune(day)
            self._pruned_on = day
        path = self.path_for(day)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the folder was removed meanwhile
            self._make_folder()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if path not in self._private:
                _owner_only(fd, 0o600)
                self._private.add(path)
            if os.fstat(fd).st_size >= self.max_day_bytes:
                return False
            os.write(fd, f"{day.isoformat()}\t{outcome}\t{text}\n".encode("utf-8"))
        finally:
            os.close(fd)
        return True

    def _make_folder(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            _owner_only(fd, 0o700)
        finally:
            os.close(fd)

    def prune(self, today: dt.date) -> None:
        """Delete the days older than the retention period."""
        oldest = _oldest_kept(today, self.days)
        old = [path for path in self._files()
               if (_day_of(path) or _mtime_day(path)) < oldest]
        for path in [*old, self.folder / LEGACY_LOCK]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _files(self) -> list[Path]:
        """The log's files, oldest first (an earlier version's first)."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return []
        legacy = [self.folder / n for n in LEGACY_LOGS if n in names]
        daily = sorted(n for n in names
                       if n.startswith(FILE_PREFIX) and n.endswith(FILE_SUFFIX))
        return legacy + [self.folder / n for n in daily]

    def lines(self, today: dt.date | None = None) -> Iterator[tuple[dt.date, str, str]]:
        """Every logged search within the retention period, oldest first;
        a damaged line is skipped."""
        oldest = _oldest_kept(today or _today(), self.days)
        for path in self._files():
            day = _day_of(path)
            if day is not None and day < oldest:
                continue
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    for raw in f:
                        line = _parse(raw)
                        if line is not None and line[0] >= oldest:
                            yield line
            except FileNotFoundError:
                continue


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _oldest_kept(today: dt.date, days: int) -> dt.date:
    return today - dt.timedelta(days=days - 1)


def _owner_only(fd: int, mode: int) -> None:
    # A file or folder an earlier version made 0644/0755 is closed to
    # other users the first time it is used.
    if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
        os.fchmod(fd, mode)


def _day_of(path: Path) -> dt.date | None:
    name = path.name
    if not (name.startswith(FILE_PREFIX) and name.endswith(FILE_SUFFIX)):
        return None
    try:
        return dt.date.fromisoformat(name[len(FILE_PREFIX):-len(FILE_SUFFIX)])
    except ValueError:
        return None


def _mtime_day(path: Path) -> dt.date:
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).date()
    except FileNotFoundError:
        return dt.date.max


def _parse(raw: str) -> tuple[dt.date, str, str] | None:
    parts = raw.rstrip("\n").split("\t")
    if len(parts) != 3 or parts[1] not in OUTCOMES or not parts[2] or len(parts[0]) != 10:
        return None
    try:
        return dt.date.fromisoformat(parts[0]), parts[1], parts[2]
    except ValueError:
        return None


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
