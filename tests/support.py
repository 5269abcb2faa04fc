"""What test modules share besides fixtures (those are in conftest.py):
the test data's names, the one error shape, writing a knowledge base, and
`kb` run as a process with the tests' small model.

Test modules import from here (``from support import ...``), never from
conftest.
"""
from __future__ import annotations

import builtins
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from hashed_model import HashedModel

TESTS = Path(__file__).parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
SEED_TEXT = FIXTURES / "seed" / "why-does-my-leg-go-numb-when-i-lay-down.txt"

# The model of every build and search that is not about meaning: one per
# test process (tests/hashed_model.py).
HASHED_MODEL = HashedModel()

# The web tests' knowledge base: the seed article and a small MedQuAD-style
# article (credit, source link, a question answered only at its source)
# named like one of the seed's "See also" topics.
TOE_ID = "why-does-my-big-toe-nail-hurt"
MEDQUAD_CREDIT = "MedQuAD, U.S. National Library of Medicine"
READ_AT_URL = "https://medlineplus.gov/ency/article/001230.htm"
# The article list's knowledge base: two articles titled "Glaucoma".
GHR = "https://ghr.nlm.nih.gov/condition/glaucoma"
GARD = "https://rarediseases.info.nih.gov/gard/123/glaucoma"

CHROMIUM = Path("/usr/bin/chromium")
# What every response of the site must carry (pinned here, not imported).
EXPECTED_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
# A failed test's report, for fixtures that keep evidence (screenshots).
FAILED_CALL = pytest.StashKey[bool]()

# A hang guard, never a speed limit: how long a `kb` process may take to
# start serving (it builds its index first) on a machine busy with others.
SERVER_START_GUARD = 300.0


def assert_error(response, status: int) -> str:
    """The one error shape of every endpoint: {"error": {"status": N,
    "message": "..."}}, with no trace of the code. Returns the message."""
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message"}
    assert body["error"]["status"] == status
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    assert "Traceback" not in response.get_data(as_text=True)
    return message


def write_web_kb(folder: Path, articles) -> Path:
    from kb.store import write_article

    for article in articles:
        write_article(article, folder)
    return folder


def forbid_opening(monkeypatch, path: Path) -> None:
    """Opening ``path`` fails the test: proof that a file refused by its
    size is never read."""
    forbidden = os.path.realpath(path)

    def guard(opener):
        def opening(file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == forbidden:
                raise AssertionError(f"{file} was opened; it must be refused by its size")
            return opener(file, *args, **kwargs)
        return opening
    real_path_open = Path.open
    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(os, "open", guard(os.open))
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: guard(real_path_open)(self, *a, **k))


class KbRunner(CliRunner):
    """click's runner for `kb` commands in this process, whose builds embed
    with the hashed model (the shipped one: ``obj=Locations()``)."""

    def invoke(self, cli, args=None, **extra):
        from kb.cli.options import Locations

        extra.setdefault("obj", Locations(model=HASHED_MODEL))
        return super().invoke(cli, args, **extra)


# --- `kb` as a process --------------------------------------------------------

def kb_command() -> list[str]:
    """The `kb` command as a process with the hashed model
    (tests/kb_with_hashed_model.py): the real command line and server."""
    return [sys.executable, str(TESTS / "kb_with_hashed_model.py")]


def kb_environment() -> dict[str, str]:
    """The environment of a `kb` process: no folders from the caller's,
    and the working tree under test first on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("KB_DIR", "KB_INDEX_DIR")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    return env


@contextlib.contextmanager
def kb_serve(work: Path, kb_dir: Path) -> Iterator[str]:
    """`kb serve` in a process, on a free port, over a copy of ``kb_dir`` and
    an index it builds itself in ``work``. Yields the base URL; stopped at
    the end."""
    copy = work / "kb"
    shutil.copytree(kb_dir, copy)
    server, url = start_kb_serve(["--threads", "4", "--kb-dir", str(copy),
                                  "--index-dir", str(work / "index")], work / "server.log")
    try:
        yield url
    finally:
        stop_kb_serve(server)


def start_kb_serve(args: list[str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """`kb serve --host 127.0.0.1 --port 0 ARGS` in a process, its output in
    ``log_path``: the process and its base URL, once it accepts
    connections."""
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*kb_command(), "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=kb_environment())
    try:
        return server, _wait_for_server(server, log_path)
    except BaseException:
        stop_kb_serve(server)
        raise


def stop_kb_serve(server: subprocess.Popen) -> None:
    """SIGTERM, and a wait of at most the hang guard before SIGKILL."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=SERVER_START_GUARD)
        except subprocess.TimeoutExpired:
            server.kill()
    server.wait()


def ready_port(server: subprocess.Popen, log_path: Path) -> int:
    """The port `kb serve` listens on, as soon as a worker says it accepts
    connections (it warms up first: webapp/warm.py)."""
    deadline = time.monotonic() + SERVER_START_GUARD
    while time.monotonic() < deadline:
        output = log_path.read_text(encoding="utf-8", errors="replace")
        if server.poll() is not None:
            pytest.fail(f"kb serve exited with status {server.returncode}:\n{output}")
        port = re.search(r"http://127\.0\.0\.1:(\d+)/", output)
        if port and "accepting connections" in output:
            return int(port.group(1))
        time.sleep(0.05)
    pytest.fail(f"kb serve did not say it was ready within {SERVER_START_GUARD:.0f} s "
                "(a hang guard):\n" + log_path.read_text(encoding="utf-8", errors="replace"))


def _wait_for_server(server: subprocess.Popen, log_path: Path) -> str:
    """The URL `kb serve` printed, once a worker accepts connections."""
    return f"http://127.0.0.1:{ready_port(server, log_path)}"
