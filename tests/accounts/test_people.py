"""People services: who may invite whom with which role where, the history each change leaves,
the rules that keep an administrator in charge, and how passwords are stored.

The scope rules are generated over every role × scope × kind of administrator, so a new role
fails here until someone decides who may grant it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

import mejora.settings as project_settings
from mejora.accounts import services
from mejora.accounts.models import Membership, Role
from mejora.followup.models import ChangeRecord
from tests.factories import AreaFactory, InstitutionFactory, ProgramFactory, UserFactory, member

pytestmark = pytest.mark.django_db

User = get_user_model()
BASE_URL = "https://asm.example.gob.mx"


@pytest.fixture
def world():
    """Institution I (program P, area A) and institution J (program Q, area B)."""
    i, j = InstitutionFactory(), InstitutionFactory()
    return {
        "all": None,
        "institution I": i,
        "institution J": j,
        "program P": ProgramFactory(institution=i),
        "program Q": ProgramFactory(institution=j),
        "area A": AreaFactory(institution=i),
        "area B": AreaFactory(institution=j),
    }


def scope_of(world, name: str) -> dict[str, object]:
    """The keyword arguments of a named scope: {'program': P}, or nothing for 'all'."""
    target = world[name]
    return {} if target is None else {name.split()[0]: target}


def administrators(world) -> dict[str, object]:
    return {
        "superuser": UserFactory(username="raiz", is_superuser=True),
        "administrator of everything": member(Role.ADMINISTRATOR),
        "administrator of I": member(Role.ADMINISTRATOR, institution=world["institution I"]),
    }


SCOPES = ["all", "institution I", "institution J", "program P", "program Q", "area A", "area B"]
# What an administrator of institution I reaches; the others reach everything.
WITHIN_I = {"institution I", "program P", "area A"}
# The scope each role must name (Membership's constraints); others take any scope.
REQUIRED_SCOPE = {Role.LIAISON: "program", Role.AREA_STAFF: "area"}


def expected_outcome(admin: str, role: Role, scope: str) -> str:
    required = REQUIRED_SCOPE.get(role)
    if required and not scope.startswith(required):
        return "invalid"
    if admin == "administrator of I" and scope not in WITHIN_I:
        return "refused"
    return "invited"


def invite(actor, role, scope, email="nueva@example.gob.mx", **extra):
    return services.person_invite(
        email=email,
        name="Ana Pérez",
        role=role,
        **scope,
        actor=actor,
        base_url=BASE_URL,
        **extra,
    )


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    "admin", ["superuser", "administrator of everything", "administrator of I"]
)
def test_who_may_invite_whom(world, admin, role, scope):
    actor = administrators(world)[admin]
    outcome = expected_outcome(admin, role, scope)
    people_before = User.objects.count()
    if outcome == "invited":
        person = invite(actor, role, scope_of(world, scope))
        membership = person.memberships.get()
        assert (membership.role, membership.institution, membership.program, membership.area) == (
            role,
            scope_of(world, scope).get("institution"),
            scope_of(world, scope).get("program"),
            scope_of(world, scope).get("area"),
        )
        assert len(mail.outbox) == 1
    else:
        expected = ValidationError if outcome == "invalid" else PermissionDenied
        with pytest.raises(expected):
            invite(actor, role, scope_of(world, scope))
        assert User.objects.count() == people_before
        assert mail.outbox == []


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_only_administrators_invite(world, role):
    scope = {Role.LIAISON: "program P", Role.AREA_STAFF: "area A"}.get(role, "institution I")
    actor = member(role, **scope_of(world, scope))
    with pytest.raises(PermissionDenied):
        invite(actor, Role.OVERSIGHT, scope_of(world, "institution I"))
    assert mail.outbox == []


@pytest.mark.parametrize("role", list(Role))
def test_an_institution_administrator_adds_roles_only_within_it(world, role):
    actor = administrators(world)["administrator of I"]
    person = invite(actor, Role.OVERSIGHT, scope_of(world, "institution I"))
    inside = {Role.LIAISON: "program P", Role.AREA_STAFF: "area A"}.get(role, "institution I")
    outside = {Role.LIAISON: "program Q", Role.AREA_STAFF: "area B"}.get(role, "institution J")
    if role != Role.OVERSIGHT:
        services.membership_add(person=person, role=role, **scope_of(world, inside), actor=actor)
    with pytest.raises(PermissionDenied):
        services.membership_add(person=person, role=role, **scope_of(world, outside), actor=actor)
    assert person.memberships.count() == (1 if role == Role.OVERSIGHT else 2)


def test_it_rejects_a_membership_with_two_scopes(world):
    actor = administrators(world)["administrator of everything"]
    with pytest.raises(ValidationError, match="un solo alcance"):
        invite(
            actor, Role.EVALUATOR, {"institution": world["institution I"], "area": world["area A"]}
        )


def test_it_rejects_a_second_account_for_the_same_email(world):
    actor = administrators(world)["administrator of everything"]
    invite(actor, Role.OVERSIGHT, {}, email="ana@example.gob.mx")
    with pytest.raises(ValidationError, match="Ya existe una cuenta"):
        invite(actor, Role.OVERSIGHT, {}, email="ANA@example.gob.mx")
    assert User.objects.filter(email="ana@example.gob.mx").count() == 1


def test_the_same_role_twice_is_refused(world):
    actor = administrators(world)["administrator of everything"]
    person = invite(actor, Role.EVALUATOR, scope_of(world, "institution I"))
    with pytest.raises(ValidationError, match="ya tiene ese papel"):
        services.membership_add(
            person=person, role=Role.EVALUATOR, **scope_of(world, "institution I"), actor=actor
        )


def test_an_invitation_that_cannot_be_sent_keeps_nothing(world, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp")

    monkeypatch.setattr(services, "send_mail", refuse)
    actor = administrators(world)["administrator of everything"]
    records = ChangeRecord.objects.count()
    with pytest.raises(OSError):
        invite(actor, Role.OVERSIGHT, {})
    assert not User.objects.filter(email="nueva@example.gob.mx").exists()
    assert ChangeRecord.objects.count() == records


def test_an_invited_person_has_no_password_until_they_choose_one(world):
    person = invite(administrators(world)["superuser"], Role.OVERSIGHT, {})
    assert person.is_active and not person.has_usable_password()
    assert person.username == person.email == "nueva@example.gob.mx"
    assert person.first_name == "Ana Pérez"


def test_each_change_leaves_its_history_and_never_a_password(world):
    actor = administrators(world)["administrator of everything"]
    person = invite(actor, Role.EVALUATOR, scope_of(world, "institution I"))
    added = services.membership_add(
        person=person, role=Role.LIAISON, **scope_of(world, "program P"), actor=actor
    )
    services.membership_change(
        membership=added, role=Role.LIAISON, **scope_of(world, "program Q"), actor=actor
    )
    services.membership_remove(membership=added, actor=actor)
    services.person_deactivate(person=person, actor=actor)

    records = list(ChangeRecord.objects.order_by("id"))
    assert [(r.model, r.action) for r in records] == [
        ("auth.User", "create"),
        ("accounts.Membership", "create"),
        ("accounts.Membership", "create"),
        ("accounts.Membership", "update"),
        ("accounts.Membership", "delete"),
        ("auth.User", "update"),
    ]
    assert all(r.actor == actor and r.source == "página web" for r in records)
    assert records[3].before["program_id"] == world["program P"].pk
    assert records[3].after["program_id"] == world["program Q"].pk
    assert records[4].before["program_id"] == world["program Q"].pk and records[4].after is None
    assert records[5].before["is_active"] is True and records[5].after["is_active"] is False
    person.refresh_from_db()
    for record in records:
        for values in (record.before or {}, record.after or {}):
            assert "password" not in values
            assert person.password not in map(str, values.values())


def test_nobody_removes_their_own_last_administrator_membership(world):
    actor = administrators(world)["administrator of I"]
    own = actor.memberships.get()
    with pytest.raises(ValidationError, match="última membresía de administrador"):
        services.membership_remove(membership=own, actor=actor)
    with pytest.raises(ValidationError, match="última membresía de administrador"):
        services.membership_change(
            membership=own, role=Role.EVALUATOR, **scope_of(world, "institution I"), actor=actor
        )
    assert Membership.objects.filter(pk=own.pk, role=Role.ADMINISTRATOR).exists()


def test_an_administrator_with_another_administrator_membership_may_drop_one(world):
    actor = administrators(world)["administrator of everything"]
    second = services.membership_add(
        person=actor, role=Role.ADMINISTRATOR, **scope_of(world, "institution I"), actor=actor
    )
    services.membership_remove(membership=second, actor=actor)
    assert actor.memberships.filter(role=Role.ADMINISTRATOR).count() == 1


def test_another_administrator_may_remove_an_administrator(world):
    admins = administrators(world)
    target = admins["administrator of I"].memberships.get()
    services.membership_remove(membership=target, actor=admins["administrator of everything"])
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_an_institution_administrator_cannot_touch_memberships_elsewhere(world):
    actor = administrators(world)["administrator of I"]
    elsewhere = member(Role.EVALUATOR, institution=world["institution J"]).memberships.get()
    with pytest.raises(PermissionDenied):
        services.membership_remove(membership=elsewhere, actor=actor)
    with pytest.raises(PermissionDenied):
        services.membership_change(
            membership=elsewhere,
            role=Role.EVALUATOR,
            **scope_of(world, "institution I"),
            actor=actor,
        )
    assert Membership.objects.filter(pk=elsewhere.pk, institution=world["institution J"]).exists()


def test_nobody_deactivates_themselves(world):
    actor = administrators(world)["administrator of everything"]
    with pytest.raises(ValidationError, match="su propia cuenta"):
        services.person_deactivate(person=actor, actor=actor)


def test_a_person_who_also_works_elsewhere_is_deactivated_only_from_above(world):
    admins = administrators(world)
    person = member(Role.EVALUATOR, institution=world["institution I"])
    Membership.objects.create(user=person, role=Role.OVERSIGHT, institution=world["institution J"])
    with pytest.raises(PermissionDenied, match="fuera de lo que usted administra"):
        services.person_deactivate(person=person, actor=admins["administrator of I"])
    services.person_deactivate(person=person, actor=admins["administrator of everything"])
    person.refresh_from_db()
    assert not person.is_active


def signs_in(client, person) -> bool:
    client.post(reverse("login"), {"username": person.username, "password": "contraseña-de-prueba"})
    signed_in = "_auth_user_id" in client.session
    client.logout()
    return signed_in


def test_a_deactivated_person_cannot_sign_in(world, client):
    admins = administrators(world)
    person = member(Role.LIAISON, program=world["program P"])
    assert signs_in(client, person)
    services.person_deactivate(person=person, actor=admins["administrator of I"])
    assert not signs_in(client, person)


def test_an_institution_administrator_sees_only_its_people_and_their_roles_there(world):
    admins = administrators(world)
    ours = member(Role.EVALUATOR, institution=world["institution I"])
    Membership.objects.create(user=ours, role=Role.OVERSIGHT, institution=world["institution J"])
    area = member(Role.AREA_STAFF, area=world["area A"])
    theirs = member(Role.LIAISON, program=world["program Q"])
    nobody = UserFactory(username="sin-papeles")

    seen = {p.pk: p for p in services.people_for_admin(admins["administrator of I"])}
    assert set(seen) == {ours.pk, area.pk, admins["administrator of I"].pk}
    assert [m.institution for m in seen[ours.pk].reachable_memberships] == [world["institution I"]]

    everything = {p.pk for p in services.people_for_admin(admins["administrator of everything"])}
    assert {ours.pk, area.pk, theirs.pk, nobody.pk} <= everything
    assert list(services.people_for_admin(theirs)) == []


# Passwords ---------------------------------------------------------------------------------


def test_the_settings_hash_new_passwords_with_argon2_and_still_read_pbkdf2():
    hashers = project_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers
    with override_settings(PASSWORD_HASHERS=hashers):
        encoded = make_password("una contraseña larga")
        assert encoded.startswith("argon2$")
        assert check_password("una contraseña larga", encoded)
        old = make_password("de antes", hasher="pbkdf2_sha256")
        assert check_password("de antes", old)


def _settings_in(environment: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean | {"DJANGO_SETTINGS_MODULE": "mejora.settings"} | environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_e_mail_is_printed_on_the_console_outside_production(tmp_path):
    done = _settings_in({"MEJORA_DATA_DIR": str(tmp_path)}, "settings.EMAIL_BACKEND")
    assert done.stdout.strip() == "django.core.mail.backends.console.EmailBackend", done.stderr


def test_e_mail_goes_by_smtp_in_production(tmp_path):
    done = _settings_in(
        {
            "MEJORA_DATA_DIR": str(tmp_path),
            "MEJORA_PRODUCTION": "true",
            "MEJORA_SECRET_KEY": "x" * 50,
            "MEJORA_ALLOWED_HOSTS": "asm.gob.mx",
            "MEJORA_EMAIL_HOST": "smtp.gob.mx",
            "MEJORA_DEFAULT_FROM_EMAIL": "ASM <asm@gob.mx>",
        },
        "settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.DEFAULT_FROM_EMAIL",
    )
    assert done.stdout.strip() == (
        "django.core.mail.backends.smtp.EmailBackend smtp.gob.mx ASM <asm@gob.mx>"
    ), done.stderr


def test_an_unknown_e_mail_backend_stops_the_start(tmp_path):
    done = _settings_in({"MEJORA_DATA_DIR": str(tmp_path), "MEJORA_EMAIL_BACKEND": "palomas"}, "1")
    assert done.returncode != 0
    assert "MEJORA_EMAIL_BACKEND" in done.stderr
