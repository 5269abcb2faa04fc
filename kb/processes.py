"""Child processes that die with their parent (Linux's parent-death signal).

A forked worker (a server's, a parallel build's) must never outlive the
process that forked it: an orphan would keep serving an old generation,
keep writing, or hold a lock it inherited.
"""
from __future__ import annotations

import ctypes
import os

_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int, parent: int) -> bool:
    """Have the kernel send ``signum`` to this process when its parent
    dies. False when ``parent`` has died already (the caller should exit
    now); True otherwise, also where the system has no such signal."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):  # not Linux: no parent-death signal
        return True
    return os.getppid() == parent
