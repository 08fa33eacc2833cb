"""The record stamp a review keeps: any edit of the program's record changes it."""

from __future__ import annotations

import pytest

from mejora.demo import demo_prepare
from mejora.followup.models import Activity, ActivityArea, Aspect, ProgressReport, Replanning
from mejora.followup.selectors import program_record_stamp

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return demo_prepare().summary.program


def edit_aspect(program):
    aspect = Aspect.objects.filter(program=program).first()
    aspect.statement += " (corregido)"
    aspect.save()


def edit_activity_without_version(program):
    activity = Activity.objects.filter(aspect__program=program).first()
    activity.text += "."
    activity.save(update_fields=["text", "updated_at"])  # as an admin inline saves it


def edit_role(program):
    role = ActivityArea.objects.filter(activity__aspect__program=program).first()
    role.note = "Coordina"
    role.save()


def edit_report(program):
    report = ProgressReport.objects.filter(activity__aspect__program=program).first()
    report.observations = "Revisado."
    report.save()


def add_replanning_then_edit(program):
    activity = Activity.objects.filter(aspect__program=program).first()
    Replanning.objects.create(
        activity=activity, justification="Cambio de reglas.", new_due_on=activity.due_on
    )


def edit_replanning(program):
    replanning = Replanning.objects.filter(activity__aspect__program=program).first()
    replanning.justification += " Se amplió el plazo."
    replanning.save()


@pytest.mark.parametrize(
    "edit", [edit_aspect, edit_activity_without_version, edit_role, edit_report]
)
def test_an_edit_changes_the_stamp(program, edit):
    before = program_record_stamp(program)
    edit(program)
    assert program_record_stamp(program) != before


def test_a_replanning_edited_in_place_changes_the_stamp(program):
    add_replanning_then_edit(program)
    before = program_record_stamp(program)
    edit_replanning(program)
    assert program_record_stamp(program) != before


def test_reading_the_record_leaves_the_stamp_alone(program):
    assert program_record_stamp(program) == program_record_stamp(program)
    assert program_record_stamp(None) == "nuevo"
