"""Text from articles and input files, made safe to print in a terminal.

Article text is anyone's: an ESC or CSI in it would reach the terminal as
a command (clear the screen, retitle the window, rewrite what was shown).
Every such character is shown escaped instead, as Python writes it.
"""
from __future__ import annotations

import re
from pathlib import Path

from kb.errors import KBError

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is CSI).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# In a file name, tab and newline too: a name holding "\nx.yaml:1: ok"
# must not print as a line of its own.
_NAME_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with each control character but tab and newline written as
    an escape: ``"\\x1b]0;title\\x07"`` prints as ``\\x1b]0;title\\x07``."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def escape_name(name: str | Path) -> str:
    """A file name with every control character written as an escape, tab
    and newline included."""
    return _NAME_CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                              str(name))


def problem_text(problem: KBError) -> str:
    """``path:line: message`` with the path and the message escaped."""
    where = escape_name(problem.path) if problem.path else ""
    if where and problem.line is not None:
        where = f"{where}:{problem.line}"
    message = escape_controls(problem.message)
    return f"{where}: {message}" if where else message
