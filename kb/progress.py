"""Progress of long work (an import, an index build) on stderr: a bar on a
terminal, with the rate and the time left; elsewhere (a log, CI, a pipe) a line every LOG_EVERY seconds
with the rate and the time left, since a bar there prints nothing until
the end. Silent for work of fewer than PROGRESS_FROM steps."""
from __future__ import annotations

import sys
import time

import click

PROGRESS_FROM = 200
LOG_EVERY = 10.0


class Progress:
    """One phase of work, fed either ``update(done, total)`` (done 0 starts
    a phase) or ``start(total)`` then ``advance(n)``; ``close()`` ends it."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.logging = False
        self.started = self.logged = 0.0
        self.done = self.total = 0

    def start(self, total: int) -> None:
        self.update(0, total)

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n, self.total)

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == 0:  # a phase starts
            self.close()
            self.total = total
            if total < PROGRESS_FROM:
                return
            self.started = self.logged = now
            if sys.stderr.isatty():
                self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                             item_show_func=lambda rate: rate)
                self.bar.__enter__()
            else:
                self.logging = True
                click.echo(f"{self.label}: 0/{total}", err=True)
        elif self.bar is not None:
            self.bar.update(done - self.done, f"{self._rate(now, done):.0f}/s")
        elif self.logging and (now - self.logged >= LOG_EVERY or done == total):
            self.logged = now
            rate = self._rate(now, done)
            left = f", about {(total - done) / rate / 60:.1f} min left" if done < total else ""
            click.echo(f"{self.label}: {done}/{total} ({100 * done // max(total, 1)}%, "
                       f"{rate:.0f}/s{left})", err=True)
        self.done = done

    def _rate(self, now: float, done: int) -> float:
        """Steps a second since the phase started."""
        return done / max(now - self.started, 1e-9)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar, self.logging, self.done = None, False, 0
