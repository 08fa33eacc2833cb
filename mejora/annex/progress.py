"""How far a long reading or import has come, told to whoever shows it: a bar, a page, nobody.

A `Progress` is called as `progress(stage, done, total)`: `stage` a short Spanish label,
`done` and `total` counted in the stage's own units. An import goes through three stages:
reading the file (lines of a text file, rows of a CSV, a sheet or a Word table, pages of a
PDF), interpreting its cells (ASM) and writing the record (ASM).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from mejora.annex.messages import gettext_noop

T = TypeVar("T")
Progress = Callable[[str, int, int], None]

# Marked for the catalogue: a job's row keeps its stage in Spanish, its page translates it.
READING = gettext_noop("Leyendo")
INTERPRETING = gettext_noop("Interpretando")
IMPORTING = gettext_noop("Importando")
PRINTING = gettext_noop("Imprimiendo")
# A review's reading comparing what it read with the record (what the import would change).
COMPARING = gettext_noop("Comparando con el registro")

# Each call may redraw a bar or save a row a page polls: about this many per stage is enough.
STEPS = 100


def no_progress(stage: str, done: int, total: int) -> None:
    """Nobody is watching."""


class Stage:
    """One stage of the work, told to a `Progress` at most about `STEPS` times, always with
    a larger `done` than the last time, and always once its `done` reaches its `total`."""

    __slots__ = ("label", "next", "progress", "told")

    def __init__(self, progress: Progress | None, label: str) -> None:
        self.progress = progress or no_progress
        self.label = label
        self.told = -1  # the last `done` told
        self.next = 0  # the first `done` worth telling

    def advance(self, done: int, total: int) -> None:
        if done < self.next and done < total:
            return
        done = min(done, total)
        if done <= self.told:
            return
        self.told = done
        self.next = done + max(1, total // STEPS)
        self.progress(self.label, done, total)

    def each(self, items: Iterable[T], total: int) -> Iterator[T]:
        """The items, counted as they are taken; the stage ends when they do, whatever the
        estimate of their `total` was."""
        done = 0
        for done, item in enumerate(items, start=1):
            self.advance(done, max(total, done))
            yield item
        self.advance(max(total, done), max(total, done))
