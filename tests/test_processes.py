"""Child processes that die with their parent (kb/processes.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

CHILD = """
import os, signal, sys, time
from kb.processes import die_with_parent
if sys.argv[1] == "tied":
    assert die_with_parent(signal.SIGTERM, os.getppid())
print("ready", flush=True)
time.sleep(30)
"""


def _alive_after_parent_killed(mode: str) -> bool:
    """Start a child under a shell, kill the shell, and say whether the
    child is still running a few seconds later."""
    parent = subprocess.Popen(
        ["sh", "-c", f'"{sys.executable}" -c "$CHILD" {mode} & echo $!; wait'],
        env={**os.environ, "CHILD": CHILD}, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "ready"
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _state(child) not in ("Z", "gone"):
        time.sleep(0.05)
    alive = _state(child) not in ("Z", "gone")
    if alive:
        os.kill(child, signal.SIGKILL)
    return alive


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the parent-death signal is Linux's")
def test_a_child_tied_to_its_parent_dies_with_it_and_an_untied_one_does_not():
    assert not _alive_after_parent_killed("tied")
    assert _alive_after_parent_killed("untied")


def test_a_process_whose_parent_is_already_gone_is_told_so():
    code = ("import os, signal\nfrom kb.processes import die_with_parent\n"
            "print(die_with_parent(signal.SIGTERM, os.getppid() + 100000))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
