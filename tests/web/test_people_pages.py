"""The people pages: inviting someone who then chooses a password and signs in, links that
no longer work, a forgotten password that tells no one whether an account exists, and the
people list's cost."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mejora.accounts.models import Membership, Role
from tests.factories import AreaFactory, InstitutionFactory, ProgramFactory, UserFactory, member

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Ajolote-de-Xochimilco-2026"


@pytest.fixture
def institution():
    return InstitutionFactory()


@pytest.fixture
def admin(institution):
    return member(Role.ADMINISTRATOR, institution=institution)


def link_in(message) -> str:
    (link,) = re.findall(r"https?://\S+", message.body)
    return link


def send_invitation(client, admin, program, email="ana@example.gob.mx"):
    client.force_login(admin)
    return client.post(
        reverse("person-invite"),
        {
            "email": email,
            "name": "Ana Pérez",
            "language": "es-mx",
            "role": Role.LIAISON,
            "program": program.pk,
        },
        HTTP_HOST="testserver",
    )


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    """Open the link, then send the new password to where it leads."""
    opened = client.get(link, follow=True)
    return opened, client.post(
        opened.redirect_chain[-1][0] if opened.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


def signs_in(client, username: str, password: str) -> bool:
    client.logout()
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_an_invitation_is_sent_in_spanish_and_its_link_sets_the_password(client, admin):
    program = ProgramFactory(institution=Membership.objects.get(user=admin).institution)
    answer = send_invitation(client, admin, program)
    person = User.objects.get(email="ana@example.gob.mx")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "person-detail", args=[person.pk]
    )

    (message,) = mail.outbox
    assert message.to == ["ana@example.gob.mx"]
    assert message.subject == "Su invitación a Mejora"
    assert "Para elegir su contraseña, abra este enlace" in message.body
    assert "Su usuario es ana@example.gob.mx" in message.body

    client.logout()
    opened, chosen = choose_password(client, link_in(message))
    assert "Elija la contraseña con la que entrará" in opened.content.decode()
    assert "Su contraseña quedó guardada" in chosen.content.decode()
    assert signs_in(client, "ana@example.gob.mx", NEW_PASSWORD)
    assert Membership.objects.get(user=person).program == program


def test_a_used_invitation_link_is_refused_in_spanish(client, admin, institution):
    send_invitation(client, admin, ProgramFactory(institution=institution))
    link = link_in(mail.outbox[0])
    client.logout()
    choose_password(client, link)

    again = client.get(link, follow=True)
    page = again.content.decode()
    assert "El enlace ya se usó o venció" in page
    assert "new_password1" not in page
    assert signs_in(client, "ana@example.gob.mx", NEW_PASSWORD)


def test_an_expired_invitation_link_is_refused_in_spanish(
    client, admin, institution, settings, monkeypatch
):
    send_invitation(client, admin, ProgramFactory(institution=institution))
    link = link_in(mail.outbox[0])
    client.logout()
    later = default_token_generator._now() + dt.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    opened, _ = choose_password(client, link)
    assert "El enlace ya se usó o venció" in opened.content.decode()
    assert not User.objects.get(email="ana@example.gob.mx").has_usable_password()


def test_an_invitation_link_of_a_deactivated_person_is_refused(client, admin, institution):
    send_invitation(client, admin, ProgramFactory(institution=institution))
    person = User.objects.get(email="ana@example.gob.mx")
    client.post(reverse("person-deactivate", args=[person.pk]))
    client.logout()
    opened, _ = choose_password(client, link_in(mail.outbox[0]))
    assert "El enlace ya se usó o venció" in opened.content.decode()


def test_an_institution_administrator_cannot_invite_into_another_institution(client, admin):
    elsewhere = ProgramFactory()
    answer = send_invitation(client, admin, elsewhere)
    # The program is not among the choices the page offers, so the form refuses it.
    assert answer.status_code == 200
    assert not User.objects.filter(email="ana@example.gob.mx").exists()
    assert mail.outbox == []


def test_an_institution_administrator_cannot_invite_an_administrator_of_everything(client, admin):
    client.force_login(admin)
    answer = client.post(
        reverse("person-invite"),
        {"email": "b@example.gob.mx", "name": "B", "language": "es-mx", "role": Role.ADMINISTRATOR},
    )
    assert "Sólo quien administra todo el sistema" in answer.content.decode()
    assert not User.objects.filter(email="b@example.gob.mx").exists()


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMINISTRATOR])
def test_the_people_pages_are_for_administrators_only(client, institution, role):
    program = ProgramFactory(institution=institution)
    scope = {
        Role.LIAISON: {"program": program},
        Role.AREA_STAFF: {"area": AreaFactory(institution=institution)},
    }.get(role, {"institution": institution})
    client.force_login(member(role, **scope))
    assert client.get(reverse("people")).status_code == 403
    assert client.get(reverse("person-invite")).status_code == 403


def test_a_person_outside_the_reach_is_not_found(client, admin):
    stranger = member(Role.OVERSIGHT, institution=InstitutionFactory())
    client.force_login(admin)
    assert client.get(reverse("person-detail", args=[stranger.pk])).status_code == 404
    membership = stranger.memberships.get()
    assert client.post(reverse("membership-remove", args=[membership.pk])).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_ones_own_last_administrator_role_is_refused_on_the_page(client, admin):
    client.force_login(admin)
    own = admin.memberships.get()
    answer = client.post(reverse("membership-remove", args=[own.pk]), follow=True)
    assert "No puede quitarse su última membresía de administrador" in answer.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_an_administrator_adds_changes_and_removes_a_role(client, admin, institution):
    program = ProgramFactory(institution=institution)
    person = member(Role.OVERSIGHT, institution=institution)
    client.force_login(admin)
    client.post(
        reverse("person-detail", args=[person.pk]), {"role": Role.LIAISON, "program": program.pk}
    )
    added = person.memberships.get(role=Role.LIAISON)
    client.post(
        reverse("membership-edit", args=[added.pk]),
        {"role": Role.EVALUATOR, "institution": institution.pk},
    )
    added.refresh_from_db()
    assert (added.role, added.institution, added.program) == (Role.EVALUATOR, institution, None)
    client.post(reverse("membership-remove", args=[added.pk]))
    assert list(person.memberships.values_list("role", flat=True)) == [Role.OVERSIGHT]


def test_the_people_page_lists_people_with_their_roles_and_scope(client, admin, institution):
    program = ProgramFactory(institution=institution, name="Opciones Productivas")
    liaison = member(Role.LIAISON, program=program)
    liaison.first_name = "Luisa Enlace"
    liaison.save()
    client.force_login(admin)
    page = client.get(reverse("people")).content.decode()
    assert "Luisa Enlace" in page
    assert "enlace del programa" in page and "Opciones Productivas" in page
    assert "<caption>" in page and 'scope="col"' in page


def _populate(institution, count: int) -> None:
    for _ in range(count):
        person = UserFactory()
        Membership.objects.create(user=person, role=Role.OVERSIGHT, institution=institution)
        Membership.objects.create(
            user=person, role=Role.LIAISON, program=ProgramFactory(institution=institution)
        )


def test_the_people_page_costs_the_same_queries_for_few_and_many(
    client, admin, institution, django_assert_num_queries
):
    client.force_login(admin)
    _populate(institution, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("people")).status_code == 200
    _populate(institution, 30)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("people")).content.decode()
    assert page.count('<th scope="row">') == 33  # the administrator too


def test_a_forgotten_password_gets_the_same_answer_for_an_unknown_e_mail(client):
    known = UserFactory(username="conocida", email="conocida@example.gob.mx")
    unknown = client.post(reverse("password-reset"), {"email": "nadie@example.gob.mx"}, follow=True)
    assert mail.outbox == []
    existing = client.post(reverse("password-reset"), {"email": known.email}, follow=True)
    assert len(mail.outbox) == 1
    assert unknown.redirect_chain == existing.redirect_chain
    assert unknown.content == existing.content
    assert "Revise su correo" in unknown.content.decode()


def test_a_forgotten_password_is_chosen_again_through_the_link(client):
    known = UserFactory(username="conocida", email="conocida@example.gob.mx")
    client.post(reverse("password-reset"), {"email": "CONOCIDA@example.gob.mx"})
    (message,) = mail.outbox
    assert message.subject == "Elegir una contraseña nueva en Mejora"
    assert message.to == [known.email]
    _, chosen = choose_password(client, link_in(message))
    assert "Su contraseña quedó cambiada" in chosen.content.decode()
    assert signs_in(client, "conocida", NEW_PASSWORD)
    # The link served once.
    again = client.get(link_in(message), follow=True)
    assert "El enlace ya se usó o venció" in again.content.decode()


def test_the_login_page_offers_a_forgotten_password(client):
    page = client.get(reverse("login")).content.decode()
    assert "¿Olvidó su contraseña?" in page and reverse("password-reset") in page


def test_the_invitation_form_labels_every_field_and_ties_its_help_to_it(client, admin):
    client.force_login(admin)
    page = client.get(reverse("person-invite")).content.decode()
    for name in ("email", "name", "language", "role", "institution", "program", "area"):
        assert f'<label for="id_{name}">' in page
    assert 'aria-describedby="id_institution_helptext"' in page
    assert 'id="id_institution_helptext"' in page


def test_an_invited_person_whose_link_expired_asks_for_a_new_one(client, admin, institution):
    send_invitation(client, admin, ProgramFactory(institution=institution))
    client.logout()
    client.post(reverse("password-reset"), {"email": "ana@example.gob.mx"})
    assert [m.to for m in mail.outbox] == [["ana@example.gob.mx"], ["ana@example.gob.mx"]]
    choose_password(client, link_in(mail.outbox[1]))
    assert signs_in(client, "ana@example.gob.mx", NEW_PASSWORD)


def test_a_deactivated_person_gets_no_reset_link(client):
    UserFactory(username="ida", email="ida@example.gob.mx", is_active=False)
    client.post(reverse("password-reset"), {"email": "ida@example.gob.mx"})
    assert mail.outbox == []


def test_an_invitation_is_sent_again_until_the_person_chooses_a_password(
    client, admin, institution
):
    send_invitation(client, admin, ProgramFactory(institution=institution))
    person = User.objects.get(email="ana@example.gob.mx")
    client.post(reverse("invitation-resend", args=[person.pk]))
    assert len(mail.outbox) == 2 and mail.outbox[1].subject == "Su invitación a Mejora"
    client.logout()
    choose_password(client, link_in(mail.outbox[1]))
    client.force_login(admin)
    answer = client.post(reverse("invitation-resend", args=[person.pk]), follow=True)
    assert "Esta persona ya eligió su contraseña" in answer.content.decode()
    assert len(mail.outbox) == 2
