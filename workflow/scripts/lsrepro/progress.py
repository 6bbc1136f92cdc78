"""Progress of long non-training jobs: one log line at a steady rate with the rate and an ETA.

Training logs its own progress (:mod:`lsrepro.training.loop`); evaluation, teacher caching, the
MI estimate, token evaluation and beam decoding wrap their main loop in :func:`progress`::

    for start in progress(range(0, n, batch), "teacher outputs", unit="batches"):
        ...

A line is written when at least ``every_s`` seconds have passed since the last one, and once at
the end (``done 120/120 batches in 00:12:03``), so a 12-minute job says where it is every half
minute whatever its batch size, and a job of seconds writes one line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Seconds between two progress lines.
EVERY_S = 30.0

log = logging.getLogger("lsrepro.progress")


def hms(seconds: float) -> str:
    """``HH:MM:SS`` (hours beyond 24 kept: ``27:00:00``)."""
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Counts finished items of a known total; logs ``what: done/total unit (pct), rate, ETA``.

    The ETA is the remaining items at the mean rate so far (elapsed / done per item).
    """

    def __init__(
        self,
        what: str,
        total: int,
        unit: str = "items",
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what, self.total, self.unit = what, int(total), unit
        self.every_s = EVERY_S if every_s is None else every_s
        self.clock = clock
        self.done = 0
        self.start = self.last = clock()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        if self.done >= self.total:
            log.info(
                "%s: done %d/%d %s in %s",
                self.what,
                self.done,
                self.total,
                self.unit,
                hms(now - self.start),
            )
            self.last = now
        elif now - self.last >= self.every_s:
            elapsed = now - self.start
            eta = elapsed / self.done * (self.total - self.done)
            log.info(
                "%s: %d/%d %s (%.0f%%)  %.3g %s/s  ETA %s",
                self.what,
                self.done,
                self.total,
                self.unit,
                100 * self.done / max(self.total, 1),
                self.done / elapsed if elapsed > 0 else float("inf"),
                self.unit,
                hms(eta),
            )
            self.last = now


def progress(
    items: Iterable[T],
    what: str,
    unit: str = "items",
    total: int | None = None,
    every_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    size: Callable[[T], int] | None = None,
) -> Iterator[T]:
    """Yield ``items``; an item counts as done when the loop asks for the next one, as
    ``size(item)`` units (a batch of sentences) or as one."""
    if total is None:
        total = len(items)  # type: ignore[arg-type]
    counter = Progress(what, total, unit, every_s, clock)
    for item in items:
        yield item
        counter.update(1 if size is None else size(item))
