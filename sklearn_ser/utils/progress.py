"""Progress a person can read, on a terminal and in a log file alike.

Nested tqdm bars redraw themselves with carriage returns and cursor moves: on a terminal
that is one live line per level, but in a log file, a CI log or a pipe it is a heap of
half-lines. :class:`Progress` therefore draws a tqdm bar only when its stream is a
terminal, and otherwise writes a plain line now and then: for the outermost level every
``every_percent`` percent and at least every ``every_seconds`` seconds, for inner levels
(short, e.g. the epochs of one model) only every ``every_seconds`` seconds; with
``every_update=True`` (the study's models) the outermost level writes one line per update, on
a terminal too (above the bar), so that each finished unit and its figures stay on screen.
Every line carries the elapsed time and, once something is done, an estimate of the time
left.

Examples
--------
>>> import io
>>> from sklearn_ser.utils.progress import Progress
>>> log, now = io.StringIO(), [0.0]           # not a terminal; a clock we advance by hand
>>> with Progress(4, "models", unit="model", file=log, every_percent=50,
...               clock=lambda: now[0]) as progress:
...     for _ in range(4):
...         now[0] += 10
...         progress.update(1)
>>> print(log.getvalue(), end="")
models: 2/4 models (50%), elapsed 20 s, ETA 20 s
models: 4/4 models (100%), elapsed 40 s
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "format_seconds", "is_terminal"]


def is_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (where a redrawn bar stays readable)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream
        return False


def format_seconds(seconds: float) -> str:
    """``'42 s'``, ``'3 min 05 s'`` or ``'1 h 02 min'``.

    Examples
    --------
    >>> from sklearn_ser.utils.progress import format_seconds
    >>> format_seconds(42.4), format_seconds(185), format_seconds(3725)
    ('42 s', '3 min 05 s', '1 h 02 min')
    """
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Progress of one level of work: a bar on a terminal, periodic plain lines otherwise.

    Parameters
    ----------
    total : int
        Units of work at this level.
    desc : str
        What is being done; on a terminal, :meth:`set_description` changes it.
    unit : str, default="it"
        Name of one unit (``"model"``, ``"epoch"``).
    level : int, default=0
        Nesting depth: 0 for the outermost loop. On a terminal it is the bar's line; in
        plain output it indents the lines, and inner levels report on time only.
    enabled : bool, default=True
        False shows nothing (``--quiet``).
    file : text stream, default=None
        Where to write; None is ``sys.stderr`` at the time of the call.
    every_percent : float, default=10
        Outermost level, plain output: a line whenever this many more percent are done.
    every_seconds : float, default=30
        Plain output: a line at least this often while work progresses.
    every_update : bool, default=False
        Outermost level: a line after every :meth:`update` (plain output and terminal alike)
        instead of every ``every_percent`` percent.
    initial : int, default=0
        Units already done before this run (e.g. restored from a checkpoint): counted in
        ``n`` but not in the rate the ETA is estimated from.
    clock : callable, default=time.monotonic
        Seconds since an arbitrary origin (a test passes a fake clock).

    Examples
    --------
    A resumed run: two of four models were restored, so the ETA uses this run's pace only.

    >>> import io
    >>> from sklearn_ser.utils.progress import Progress
    >>> log, now = io.StringIO(), [0.0]
    >>> with Progress(4, "study", unit="model", file=log, every_update=True, initial=2,
    ...               clock=lambda: now[0]) as progress:
    ...     now[0] += 30
    ...     progress.update(1, done="cnn fold 2", uar=0.5)
    >>> print(log.getvalue(), end="")
    study: 3/4 models (75%), elapsed 30 s, ETA 30 s, done cnn fold 2, uar 0.500
    """

    def __init__(self, total, desc, *, unit="it", level=0, enabled=True, file=None,
                 every_percent=10, every_seconds=30.0, every_update=False, initial=0,
                 clock=time.monotonic):
        if every_percent <= 0:
            raise ValueError(f"every_percent must be positive, got {every_percent}.")
        self.total = int(total)
        self.desc = desc
        self.unit = unit
        self.level = level
        self.enabled = enabled
        self.file = sys.stderr if file is None else file
        self.every_percent = every_percent
        self.every_seconds = every_seconds
        self.every_update = every_update
        self.initial = self.n = int(initial)
        self.postfix = {}
        self._clock = clock
        self._started = self._last_line = clock()
        self._discounted = 0.0
        self._next_percent = every_percent
        self._bar = None
        if enabled and is_terminal(self.file):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.initial, desc=desc, unit=unit,
                             position=level, leave=level == 0, file=self.file,
                             dynamic_ncols=True)

    @property
    def elapsed(self) -> float:
        """Seconds since the work started."""
        return self._clock() - self._started

    def eta(self) -> float | None:
        """Seconds left at this run's mean rate; None before its first unit is done."""
        done = self.n - self.initial
        if done <= 0:
            return None
        return max(self.elapsed - self._discounted, 0) / done * max(self.total - self.n, 0)

    def discount(self, seconds):
        """Leave ``seconds`` of one-off work (e.g. a shared feature extraction) out of the
        rate the ETA is estimated from; the elapsed time still counts them."""
        self._discounted += seconds

    def set_description(self, desc):
        """Say on the bar what is being done now.

        Plain lines keep the description given at creation, so that a log reads as one
        series (``study: 3/15 models ...``); put what changes into :meth:`update`'s postfix.
        """
        if self._bar is not None:
            self._bar.set_description(desc, refresh=False)

    def update(self, n=1, **postfix):
        """Count ``n`` more units done; ``postfix`` values (e.g. ``loss=0.81``) are shown."""
        self.n += n
        self.postfix = {k: v for k, v in postfix.items() if v is not None}
        if self._bar is not None:
            if self.postfix:
                self._bar.set_postfix(self._shown(), refresh=False)
            self._bar.update(n)
            if self.every_update and self.level == 0:
                self._bar.write(self._text(), file=self.file)
        elif self.enabled and (self._due() or (self.every_update and self.level == 0)):
            self._line()

    def write(self, message):
        """Print a status line above the bars (terminal) or among the progress lines."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(message, file=self.file)
        else:
            print(f"{'  ' * self.level}{message}", file=self.file, flush=True)

    def close(self):
        """Remove the bar (inner levels) or leave it (outermost); idempotent."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _shown(self):
        return {k: f"{v:.3f}" if isinstance(v, float) else str(v)
                for k, v in self.postfix.items()}

    def _due(self) -> bool:
        if self.n >= self.total:
            return self.level == 0
        if self._clock() - self._last_line >= self.every_seconds:
            return True
        if self.level == 0 and self.total > 0:
            return 100 * self.n / self.total >= self._next_percent
        return False

    def _line(self):
        percent = 100 * self.n / self.total if self.total else 100.0
        while self._next_percent <= percent:
            self._next_percent += self.every_percent
        self._last_line = self._clock()
        print(self._text(), file=self.file, flush=True)

    def _text(self) -> str:
        percent = 100 * self.n / self.total if self.total else 100.0
        units = f"{self.unit}s" if self.total != 1 else self.unit
        parts = [f"{self.n}/{self.total} {units} ({percent:.0f}%)",
                 f"elapsed {format_seconds(self.elapsed)}"]
        eta = self.eta()
        if eta is not None and self.n < self.total:
            parts.append(f"ETA {format_seconds(eta)}")
        parts += [f"{k} {v}" for k, v in self._shown().items()]
        return f"{'  ' * self.level}{self.desc}: {', '.join(parts)}"
