"""Two sessions save the same activity: the second is told, sees both versions and keeps
what it typed; nothing is lost. And every way in — the admin, an import, a page, a command —
leaves its change in the history with who made it and where it came from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.annex.renderers import render
from mejora.annex.synth import synth_document
from mejora.followup.models import Activity, ActivityArea, ChangeRecord, Cut, ProgressReport
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import (
    SEED_INSTITUTION,
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    InstitutionFactory,
    ProgramFactory,
    member,
)

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def activity() -> Activity:
    """An activity of a program, carried out by one of its areas, during an open cut."""
    program = ProgramFactory()
    area = AreaFactory(institution=program.institution, acronym="DGEMPS")
    activity = ActivityFactory(aspect=AspectFactory(program=program))
    ActivityArea.objects.create(
        activity=activity, area=area, role=ActivityArea.Role.RESPONSIBLE, position=1
    )
    CutFactory(date=dt.date(2012, 9, 30), name="septiembre 2012", state=Cut.State.OPEN)
    return activity


@pytest.fixture
def sessions(activity) -> tuple[Client, Client, object, object]:
    """The program's liaison and the activity's area, each in a browser of their own."""
    first = member(Role.LIAISON, program=activity.aspect.program)
    second = member(Role.AREA_STAFF, area=activity.area_roles.get().area)
    one, two = Client(), Client()
    one.force_login(first)
    two.force_login(second)
    return one, two, first, second


def as_sent(form) -> dict[str, str]:
    """What a browser sends back for a form as the page showed it."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, []):
            continue
        data[name] = value
    return data


def history(obj) -> list[ChangeRecord]:
    records = ChangeRecord.objects.filter(model=obj._meta.label, object_id=str(obj.pk))
    return list(records.order_by("at", "id"))


# Registrar avance -------------------------------------------------------------------------


@pytest.mark.parametrize("saved_before", [False, True], ids=["first-report", "draft-saved"])
def test_the_second_progress_save_gets_the_conflict_and_loses_nothing(
    activity, sessions, saved_before
):
    one, two, first, second = sessions
    page = reverse("activity-detail", args=[activity.pk])
    url = reverse("activity-progress", args=[activity.pk])
    if saved_before:
        one.post(url, {"percent": 10, "justification": "Arranque."})
    # Both open the form, then both save.
    form_one = as_sent(one.get(page).context["progress_form"])
    form_two = as_sent(two.get(page).context["progress_form"])
    saved = one.post(url, form_one | {"percent": 30, "justification": "Lo que guardó el enlace."})
    assert saved.status_code == 302

    mine = {"percent": 55, "justification": "Lo que escribió el área.", "observations": "Nota."}
    conflict = two.post(url, form_two | mine)

    assert conflict.status_code == 409
    text = conflict.content.decode()
    assert "Otra persona guardó este reporte" in text
    assert "Lo que guardó el enlace." in text  # the saved version
    assert "Lo que escribió el área." in text and "Nota." in text  # theirs, still typed
    report = ProgressReport.objects.get(activity=activity)
    assert (report.percent, report.justification) == (30, "Lo que guardó el enlace.")

    # Saving again, knowingly over the saved version, wins.
    again = as_sent(conflict.context["progress_form"])
    assert int(again["seen_version"]) == report.version
    assert two.post(url, again).status_code == 302
    report.refresh_from_db()
    assert (report.percent, report.justification, report.observations) == (
        55,
        "Lo que escribió el área.",
        "Nota.",
    )
    changes = history(report)[-2:]
    assert [c.actor for c in changes] == [first, second]
    assert [c.after["percent"] for c in changes] == [30, 55]
    assert {c.source for c in changes} == {"página web"}


# Editar la actividad ----------------------------------------------------------------------


def test_the_second_activity_edit_gets_the_conflict_and_loses_nothing(activity, sessions):
    one, two = Client(), Client()
    first = member(Role.LIAISON, program=activity.aspect.program)
    second = member(Role.EVALUATOR, institution=activity.aspect.program.institution)
    one.force_login(first)
    two.force_login(second)
    url = reverse("commitments-activity-edit", args=[activity.pk])
    # The date as stored was already read: each form is sent with its reading confirmed.
    form_one = as_sent(one.get(url).context["form"]) | {"read_as": "2011-12-31"}
    form_two = as_sent(two.get(url).context["form"]) | {"read_as": "2011-12-31"}
    saved = one.post(url, form_one | {"text": "Lo que guardó el enlace"})
    assert saved.status_code == 302

    conflict = two.post(url, form_two | {"text": "Lo que escribió la unidad"})

    text = conflict.content.decode()
    assert conflict.context["stale"] is not None
    assert "Otra persona guardó esta actividad (versión 2)" in text
    assert "Lo que guardó el enlace" in text and "Lo que escribió la unidad" in text
    activity.refresh_from_db()
    assert activity.text == "Lo que guardó el enlace"

    again = as_sent(conflict.context["form"])
    assert again["text"] == "Lo que escribió la unidad" and again["seen_version"] == "2"
    assert two.post(url, again).status_code == 302
    activity.refresh_from_db()
    assert activity.text == "Lo que escribió la unidad"
    changes = [c for c in history(activity) if c.action == ChangeRecord.Action.UPDATE]
    assert [(c.actor, c.after["text"]) for c in changes] == [
        (first, "Lo que guardó el enlace"),
        (second, "Lo que escribió la unidad"),
    ]


# Every way in leaves its change in the history ---------------------------------------------


def test_an_admin_edit_is_in_the_history_with_its_source(client, activity):
    person = get_user_model().objects.create_user(
        "administradora", is_staff=True, is_superuser=True
    )
    client.force_login(person)
    url = reverse("admin:followup_activity_change", args=[activity.pk])
    context = client.get(url).context
    form = context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    data |= {"text": "Corregido en la administración", "due_on": "2011-12-31"}
    for formset in context["inline_admin_formsets"]:
        forms, prefix = formset.formset.forms, formset.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(len(forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(
            formset.formset.management_form.initial["INITIAL_FORMS"]
        )
        for index, inline in enumerate(forms):
            for name in inline.fields:
                value = inline[name].value()
                data[f"{prefix}-{index}-{name}"] = "" if value is None else value
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = history(activity)[-1]
    assert (change.actor, change.source) == (person, "administración")
    assert change.after["text"] == "Corregido en la administración"


def test_an_import_from_the_page_is_in_the_history_with_its_source(client):
    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=SEED_INSTITUTION))
    client.force_login(person)
    doc = synth_document(aspects=2)
    upload = SimpleUploadedFile("anexo-prueba.txt", render(doc, "txt"))
    review_url = client.post(reverse("import-upload"), {"file": upload}).url
    page = client.get(review_url).content.decode()
    stamp = re.search(r'name="stamp" value="([0-9a-z]+)"', page).group(1)
    done = client.post(review_url, {"stamp": stamp, "confirmo_todo": "on"}, follow=True)
    assert done.redirect_chain, done.content.decode()[:500]
    activities = Activity.objects.all()
    assert activities.count() == doc.activity_count()
    for activity in activities:
        (created,) = [c for c in history(activity) if c.action == ChangeRecord.Action.CREATE]
        assert created.actor == person
        assert "anexo-prueba.txt" in created.source


def test_a_progress_page_save_is_in_the_history_with_its_source(client, activity):
    person = member(Role.LIAISON, program=activity.aspect.program)
    client.force_login(person)
    url = reverse("activity-progress", args=[activity.pk])
    assert client.post(url, {"percent": 25, "justification": "Un cuarto."}).status_code == 302
    change = history(ProgressReport.objects.get(activity=activity))[-1]
    assert (change.actor, change.source) == (person, "página web")
    assert change.after["percent"] == 25


def test_an_import_command_is_in_the_history_with_its_source(tmp_path):
    from mejora.cli import EXIT_OK, main

    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=SEED_INSTITUTION))
    doc = dataclasses.replace(synth_document(aspects=2), institution=SEED_INSTITUTION)
    path = tmp_path / "anexo-comando.txt"
    path.write_bytes(render(doc, "txt"))
    assert main(["import", str(path), "--user", person.username]) == EXIT_OK
    activities = Activity.objects.all()
    assert activities.count() == doc.activity_count()
    for activity in activities:
        (created,) = [c for c in history(activity) if c.action == ChangeRecord.Action.CREATE]
        assert created.actor == person
        assert "anexo-comando.txt" in created.source and "línea de comandos" in created.source
