"""The admin: every model has its pages, in Spanish, and every save is logged."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from mejora.demo import demo_prepare
from mejora.followup.models import Activity, ChangeRecord, ProgressReport

# The queue and its jobs (mejora/tasks/) are under the `tasks` database alias.
pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture
def admin_client(client):
    """The demo's administrator, logged in after the demo reset its password."""
    demo_prepare()
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


@pytest.fixture
def admin_user(admin_client):
    return get_user_model().objects.get(username="admin")


MODELS = [model for model in admin.site._registry if model._meta.app_label != "auth"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_model_has_an_admin_list_in_spanish(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Seleccione" in response.content.decode()  # Django's own Spanish strings


def test_an_admin_edit_is_logged_with_who_and_before_and_after(admin_client, admin_user):
    activity = Activity.objects.get(due_text="31/03/2009")
    url = reverse("admin:followup_activity_change", args=[activity.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"text": "Texto corregido", "due_on": "2009-03-31"}
    data |= _inline_management(admin_client.get(url).context)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = ChangeRecord.objects.filter(
        action=ChangeRecord.Action.UPDATE, object_id=str(activity.pk)
    ).get()
    assert change.actor == admin_user
    assert change.after["text"] == "Texto corregido"
    assert change.before["text"].startswith("Dentro de las actividades")


def test_an_admin_edit_over_a_newer_save_is_refused(admin_client):
    activity = Activity.objects.get(due_text="31/03/2009")
    url = reverse("admin:followup_activity_change", args=[activity.pk])
    context = admin_client.get(url).context
    form = context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {"text": "Mi cambio", "due_on": "2009-03-31"}
    data |= _inline_management(context)
    Activity.objects.filter(pk=activity.pk).update(text="Cambio de otra persona", version=2)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Otra persona guardó este registro" in response.content.decode()
    assert Activity.objects.get(pk=activity.pk).text == "Cambio de otra persona"


def _inline_management(context) -> dict[str, str]:
    data = {}
    for formset in context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(len(formset.formset.forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(management.initial["INITIAL_FORMS"])
        for index, inline in enumerate(formset.formset.forms):
            for name in inline.fields:
                value = inline[name].value()
                data[f"{prefix}-{index}-{name}"] = "" if value is None else value
    return data


def test_an_area_changed_in_the_activitys_inline_leaves_its_history(admin_client, admin_user):
    from mejora.followup.models import ActivityArea, Area

    activity = Activity.objects.get(due_text="31/03/2009")
    url = reverse("admin:followup_activity_change", args=[activity.pk])
    context = admin_client.get(url).context
    form = context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= _inline_management(context)
    role = activity.area_roles.order_by("role", "position").first()
    other = Area.objects.filter(institution=role.area.institution).exclude(pk=role.area_id).first()
    prefix = context["inline_admin_formsets"][0].formset.prefix
    index = next(
        i
        for i, inline in enumerate(context["inline_admin_formsets"][0].formset.forms)
        if inline.instance.pk == role.pk
    )
    data[f"{prefix}-{index}-area"] = str(other.pk)
    response = admin_client.post(url, data)
    assert response.status_code == 302
    change = ChangeRecord.objects.get(model="followup.ActivityArea", object_id=str(role.pk))
    assert change.actor == admin_user and change.source == "administración"
    assert (change.before["area_id"], change.after["area_id"]) == (role.area_id, other.pk)
    assert ActivityArea.objects.get(pk=role.pk).area == other


def test_an_inline_row_deleted_in_the_admin_leaves_its_history(admin_client):
    activity = Activity.objects.get(due_text="31/03/2009")
    url = reverse("admin:followup_activity_change", args=[activity.pk])
    context = admin_client.get(url).context
    form = context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= _inline_management(context)
    formset = context["inline_admin_formsets"][0].formset
    removed = formset.forms[0].instance
    data[f"{formset.prefix}-0-DELETE"] = "on"
    assert admin_client.post(url, data).status_code == 302
    change = ChangeRecord.objects.get(model="followup.ActivityArea", action="delete")
    assert change.object_id == str(removed.pk) and change.before["activity_id"] == activity.pk


def test_records_deleted_together_from_the_list_each_leave_their_history(admin_client, admin_user):
    reports = list(ProgressReport.objects.order_by("pk")[:2])
    url = reverse("admin:followup_progressreport_changelist")
    data = {"action": "delete_selected", "_selected_action": [r.pk for r in reports]}
    assert admin_client.post(url, data | {"post": "yes"}).status_code == 302
    assert not ProgressReport.objects.filter(pk__in=[r.pk for r in reports]).exists()
    changes = ChangeRecord.objects.filter(model="followup.ProgressReport", action="delete")
    assert sorted(changes.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in reports)
    assert {c.actor for c in changes} == {admin_user}
    assert changes.get(object_id=str(reports[0].pk)).before["percent"] == reports[0].percent
