"""`kb serve` run from this working tree in a subprocess whose Python may
first patch the modules it runs (the tests of webapp/server.py and
webapp/warm.py), and waiting until a worker says it accepts connections."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD_SECONDS = 120  # a hang guard; nothing is timed


def start(prelude: str, args: list[str], log_path: Path) -> subprocess.Popen:
    """``kb serve --host 127.0.0.1 --port 0 ARGS`` in a Python process that
    first runs ``prelude`` (to patch what it serves), its output in
    ``log_path``."""
    script = (f"import sys\n{prelude}\n"
              "from kb.cli import main\nmain(sys.argv[1:], prog_name='kb')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", script, "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)


def ready_port(proc: subprocess.Popen, log_path: Path) -> int:
    """The port, as soon as a worker says it accepts connections."""
    deadline = time.monotonic() + GUARD_SECONDS
    while time.monotonic() < deadline:
        output = log_path.read_text(encoding="utf-8", errors="replace")
        if proc.poll() is not None:
            pytest.fail(f"kb serve exited with status {proc.returncode}:\n{output}")
        port = re.search(r"http://127\.0\.0\.1:(\d+)/", output)
        if port and "accepting connections" in output:
            return int(port.group(1))
        time.sleep(0.02)
    pytest.fail("kb serve did not say it was ready:\n" + log_path.read_text(encoding="utf-8"))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()
