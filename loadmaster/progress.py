"""A progress bar on stderr for work that may take a while, silent when it does not.

Nothing is drawn in the first SILENT_S seconds, so short runs print nothing. After that: on a terminal, one line
redrawn in place at most REDRAW_S apart and cleared at the end; elsewhere (a CI log), one line per LOG_STEP of the
work, so a log shows the run is alive without filling up with bars.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

SILENT_S = 2.0
REDRAW_S = 0.1
LOG_STEP = 0.25
WIDTH = 30


class ProgressBar:
    """`update(fraction)` as the work goes on, `close()` at its end (also on error: it clears the terminal line)."""

    def __init__(self, label: str, stream: TextIO | None = None, clock=time.monotonic):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.drawn_at: float | None = None
        self.logged = 0.0  # the last fraction written to a log

    def update(self, fraction: float) -> None:
        now = self.clock()
        if now - self.started < SILENT_S:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        if self.terminal:
            if self.drawn_at is None or now - self.drawn_at >= REDRAW_S:
                filled = round(WIDTH * fraction)
                self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {fraction:4.0%}")
                self.stream.flush()
                self.drawn_at = now
        elif fraction - self.logged >= LOG_STEP:
            self.stream.write(f"{self.label}: {fraction:.0%}\n")
            self.stream.flush()
            self.logged = fraction

    def close(self) -> None:
        if self.terminal and self.drawn_at is not None:
            self.stream.write("\r" + " " * (len(self.label) + WIDTH + 8) + "\r")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
