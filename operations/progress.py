"""How far long work is: the object operations tell, and the line it draws on a terminal."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Progress", "is_terminal"]


def is_terminal(stream: Any) -> bool:
    """True when ``stream`` is a terminal (a closed or odd stream is not).

    Examples
    --------
    >>> import io
    >>> is_terminal(io.StringIO())
    False
    """
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """A progress line on stderr, redrawn in place (``\\r``) while long work runs: a bar and
    counts for a load whose size is known, the step and the time spent for the rest. When
    ``shown`` is false (stderr is not a terminal, or ``--quiet``) nothing is written.

    Operations take one as their ``progress`` argument: :meth:`rows` gives the callback a
    load tells the rows read so far, :meth:`step` wraps a long step. ``Progress()`` (the
    default) draws nothing.

    Examples
    --------
    >>> progress = Progress()
    >>> show = progress.rows("rna", expected=None)
    >>> show(1000)
    >>> with progress.step("centrality"):
    ...     pass
    """

    WIDTH = 24
    #: Seconds between two redraws.
    EVERY = 0.2

    def __init__(self, shown: bool = False):
        self.shown = shown
        self._drawn_at = 0.0
        self._width = 0

    def _draw(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < self.EVERY:
            return
        self._drawn_at = now
        padding = " " * max(0, self._width - len(text))
        self._width = len(text)
        sys.stderr.write(f"\r{text}{padding}")
        sys.stderr.flush()

    def _clear(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0

    def rows(self, label: str, expected: int | None) -> Callable[[int], None]:
        """A function told the rows read so far, drawing ``label [#####.....] 45% 900,000 rows,
        120,000 rows/s``; ``expected`` is an estimate of the total (None: no bar)."""
        started = time.monotonic()

        def show(rows_read: int) -> None:
            if not self.shown:
                return
            elapsed = max(time.monotonic() - started, 1e-6)
            text = f"{label}: {rows_read:,} rows, {rows_read / elapsed:,.0f} rows/s"
            if expected:
                # An estimate: the bar stops short of its end until the load says it is done.
                share = min(rows_read / expected, 0.99)
                filled = int(share * self.WIDTH)
                text = f"{label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {rows_read:,} rows, {rows_read / elapsed:,.0f} rows/s"
            self._draw(text)

        return show

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show ``label (12 s)`` while the block runs, then clear the line."""
        if not self.shown:
            yield
            return
        started = time.monotonic()
        stop = threading.Event()

        def redraw() -> None:
            while True:
                self._draw(f"{label} ({time.monotonic() - started:.0f} s)", force=True)
                if stop.wait(0.5):
                    return

        thread = threading.Thread(target=redraw, name="maillage-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self._clear()

    def done(self) -> None:
        """End the line being drawn, so that what is printed next starts on a clean line."""
        if self.shown:
            self._clear()
