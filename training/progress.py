"""Training progress: a tqdm bar on a terminal, a few plain log lines anywhere else.

Written to a file or a CI log, a bar cannot redraw and leaves one line per
batch (thousands per run). So the bar is drawn only when stderr is a terminal;
otherwise the loop logs a line every ``run.log_every_steps`` optimizer steps and
one at the end of each epoch.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import Any, Iterable, Iterator

__all__ = ["EpochProgress"]

logger = logging.getLogger(__name__)


class EpochProgress:
    """Progress of one epoch, shown only by the process that ``shows`` it (the main one)."""

    def __init__(self, batches: Iterable[Any], epoch: int, epochs: int, shows: bool, log_every_steps: int):
        from tqdm.auto import tqdm

        self.title = f"epoch {epoch + 1}/{epochs}"
        self.logs = shows and not sys.stderr.isatty()
        self.log_every_steps = log_every_steps
        self.windows = self.steps = 0
        self.start = time.time()
        self.losses: dict[str, float] = {}
        self._bar = tqdm(batches, desc=self.title, disable=not shows or self.logs, unit="batch", dynamic_ncols=True)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._bar)

    def batch(self, windows: int) -> None:
        """Count the windows of a batch just run."""
        self.windows += windows

    def step(self, step: int, **losses: float) -> None:
        """After optimizer step ``step`` (counted over the run): show its losses and the speed."""
        self.steps += 1
        self.losses = losses
        if not self._bar.disable:
            self._bar.set_postfix(self._fields())
        elif self.logs and self.log_every_steps and step % self.log_every_steps == 0:
            logger.info("%s, step %d: %s", self.title, step, self._text())

    def close(self) -> None:
        self._bar.close()
        if self.logs:
            logger.info("%s done: %d steps, %s", self.title, self.steps, self._text())

    def _fields(self) -> dict[str, str]:
        speed = self.windows / max(time.time() - self.start, 1e-9)
        return {k: f"{v:.3f}" for k, v in self.losses.items()} | {"windows/s": f"{speed:.1f}"}

    def _text(self) -> str:
        return " ".join(f"{k} {v}" for k, v in self._fields().items())
