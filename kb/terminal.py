"""Text from articles and input files, made safe to print in a terminal.

Article text is anyone's: an ESC or CSI in it would reach the terminal as
a command (clear the screen, retitle the window, rewrite what was shown).
Every such character is shown escaped instead, as Python writes it.
"""
from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is CSI).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """``text`` with each control character but tab and newline written as
    an escape: ``"\\x1b]0;title\\x07"`` prints as ``\\x1b]0;title\\x07``."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
