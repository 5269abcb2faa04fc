"""`kb serve` run from this working tree in a subprocess whose Python may
first patch the modules it runs (the tests of webapp/server.py and
webapp/warm.py), and waiting until a worker says it accepts connections."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import SERVER_START_GUARD as GUARD_SECONDS  # a hang guard; nothing is timed
from support import ready_port  # noqa: F401  (the tests' one way to wait for kb serve)
from support import stop_kb_serve as stop  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def start(prelude: str, args: list[str], log_path: Path, *,
          shipped_model: bool = False) -> subprocess.Popen:
    """``kb serve --host 127.0.0.1 --port 0 ARGS`` in a Python process that
    first runs ``prelude`` (to patch what it serves), its output in
    ``log_path``. It builds and searches with the tests' hashed model
    (tests/kb_with_hashed_model.py), or with the shipped one when
    ``shipped_model``: an index built with the other would be embedded
    again, every passage, before it serves."""
    run = ("from kb.cli import main\nmain(sys.argv[1:], prog_name='kb')\n" if shipped_model
           else "import kb_with_hashed_model\nkb_with_hashed_model.run(sys.argv[1:])\n")
    script = f"import sys\n{prelude}\n{run}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-c", script, "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
