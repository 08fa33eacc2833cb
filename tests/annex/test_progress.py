"""Progress of a reading: every stage told in order, a bounded number of times, to its end."""

from __future__ import annotations

import re
import shutil
import subprocess
from itertools import groupby
from pathlib import Path

import pytest

from mejora.annex import progress
from mejora.annex.document import AnnexDocument
from mejora.annex.parsers import parse
from mejora.annex.parsers.text import parse_text
from mejora.annex.progress import INTERPRETING, READING, STEPS, Stage, no_progress
from mejora.annex.renderers import render

SAMPLE = Path(__file__).parents[2] / "mejora/sample" / "anexo-e-opciones-productivas-2012-03.txt"


class Recorder:
    """A Progress that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.calls.append((stage, done, total))

    def stages(self) -> list[str]:
        return [stage for stage, _ in groupby(stage for stage, _, _ in self.calls)]

    def of(self, stage: str) -> list[tuple[int, int]]:
        return [(done, total) for label, done, total in self.calls if label == stage]


@pytest.fixture(scope="module")
def seed() -> AnnexDocument:
    return parse_text(SAMPLE.read_bytes())


def assert_counts_up_to_its_total(calls: list[tuple[int, int]]) -> None:
    dones = [done for done, _ in calls]
    assert dones == sorted(set(dones)), "done only grows"
    assert all(0 <= done <= total for done, total in calls)
    assert calls[-1][0] == calls[-1][1] > 0


@pytest.mark.parametrize("file_format", ["txt", "csv", "xlsx", "docx", "pdf"])
def test_reading_tells_each_stage_in_turn_up_to_its_total(seed, file_format):
    recorder = Recorder()
    parse(render(seed, file_format), file_format, progress=recorder)
    assert recorder.stages() == [READING, INTERPRETING]
    assert_counts_up_to_its_total(recorder.of(READING))
    assert_counts_up_to_its_total(recorder.of(INTERPRETING))
    assert recorder.of(INTERPRETING)[-1] == (seed.aspect_count(), seed.aspect_count())


def test_the_text_reading_counts_the_lines_of_the_file(seed):
    recorder = Recorder()
    data = render(seed, "txt")
    parse(data, "txt", progress=recorder)
    lines = len(data.decode("utf-8").splitlines())
    assert recorder.of(READING)[-1] == (lines, lines)


def test_without_progress_the_reading_is_the_same(seed):
    data = render(seed, "docx")
    assert parse(data, "docx", progress=no_progress) == parse(data, "docx")


def test_a_long_stage_is_told_about_a_hundred_times():
    recorder = Recorder()
    stage = Stage(recorder, READING)
    for done in range(1, 100_001):
        stage.advance(done, 100_000)
    assert len(recorder.calls) <= STEPS + 1
    assert_counts_up_to_its_total(recorder.of(READING))


def test_a_short_stage_is_told_every_step():
    recorder = Recorder()
    stage = Stage(recorder, READING)
    for done in range(1, 4):
        stage.advance(done, 3)
    assert recorder.of(READING) == [(1, 3), (2, 3), (3, 3)]


def test_a_repeated_or_smaller_count_is_not_told_again():
    recorder = Recorder()
    stage = Stage(recorder, READING)
    for done in (1, 1, 2, 1, 2):
        stage.advance(done, 2)
    assert recorder.of(READING) == [(1, 2), (2, 2)]


@pytest.mark.parametrize(("items", "estimate", "end"), [(7, 10, 10), (12, 10, 12), (5, 5, 5)])
def test_counted_items_end_the_stage_whatever_the_estimate(items, estimate, end):
    recorder = Recorder()
    assert list(Stage(recorder, READING).each(range(items), estimate)) == list(range(items))
    assert_counts_up_to_its_total(recorder.of(READING))
    assert recorder.of(READING)[-1] == (end, end)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs xgettext")
def test_every_stage_a_job_page_shows_reaches_the_translation_catalogue():
    """A job's row keeps its stage in Spanish and the page translates it when shown: each label
    is marked where it is written, so makemessages (xgettext) puts it in the catalogue."""
    makemessages = ["xgettext", "--language=Python", "--keyword=gettext_noop", "--from-code=UTF-8"]
    extracted = subprocess.run(
        [*makemessages, "--output=-", progress.__file__],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    marked = set(re.findall(r'^msgid "(.+)"$', extracted, re.MULTILINE))
    stages = {progress.READING, progress.INTERPRETING, progress.IMPORTING}
    assert stages | {progress.PRINTING, progress.COMPARING} <= marked
