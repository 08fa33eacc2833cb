"""People and their memberships: invitations, roles granted within an administrator's reach,
deactivation; each change leaves a history row in the same transaction.

An administrator reaches what their administrator memberships cover: everything (no scope, or
a superuser), or some institutions, programs or areas. They see the people holding a
membership there, and grant, change or remove memberships only there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from mejora.accounts.models import Action, Membership, Role
from mejora.followup.history import change_record, snapshot
from mejora.followup.models import Area, ChangeRecord, Institution, Program

User = get_user_model()

WEB_SOURCE = "página web"
# What the change log keeps of a person: never the password hash.
_PERSON_FIELDS = ("username", "email", "first_name", "is_active")


@dataclass(frozen=True)
class AdminReach:
    """Where a person administers: everything, or these institutions, programs and areas."""

    everything: bool = False
    institutions: frozenset[int] = field(default_factory=frozenset)
    programs: frozenset[int] = field(default_factory=frozenset)
    areas: frozenset[int] = field(default_factory=frozenset)

    @property
    def anything(self) -> bool:
        return self.everything or bool(self.institutions or self.programs or self.areas)

    def covers(
        self,
        *,
        institution: Institution | None = None,
        program: Program | None = None,
        area: Area | None = None,
    ) -> bool:
        """Whether a membership with this scope (none: every institution) lies within reach."""
        if self.everything:
            return True
        if institution is not None:
            return institution.pk in self.institutions
        if program is not None:
            return program.pk in self.programs or program.institution_id in self.institutions
        if area is not None:
            return area.pk in self.areas or area.institution_id in self.institutions
        return False

    def membership_condition(self) -> Q | None:
        """The memberships within reach, as a filter; None for all of them."""
        if self.everything:
            return None
        return (
            Q(institution_id__in=self.institutions)
            | Q(program__institution_id__in=self.institutions)
            | Q(area__institution_id__in=self.institutions)
            | Q(program_id__in=self.programs)
            | Q(area_id__in=self.areas)
        )


def admin_reach(user) -> AdminReach:
    """Where the person may manage people, from their memberships that allow administering."""
    if not user.is_authenticated or not user.is_active:
        return AdminReach()
    if user.is_superuser:
        return AdminReach(everything=True)
    institutions: set[int] = set()
    programs: set[int] = set()
    areas: set[int] = set()
    for membership in Membership.objects.filter(user=user):
        if Action.ADMINISTER not in membership.actions:
            continue
        if membership.program_id:
            programs.add(membership.program_id)
        elif membership.area_id:
            areas.add(membership.area_id)
        elif membership.institution_id:
            institutions.add(membership.institution_id)
        else:
            return AdminReach(everything=True)
    return AdminReach(
        institutions=frozenset(institutions), programs=frozenset(programs), areas=frozenset(areas)
    )


# Reads -------------------------------------------------------------------------------------


def memberships_for_admin(user, reach: AdminReach | None = None) -> QuerySet[Membership]:
    """The memberships the person administers (none for anyone who administers nothing)."""
    reach = reach or admin_reach(user)
    found = Membership.objects.select_related("institution", "program", "area")
    if not reach.anything:
        return found.none()
    condition = reach.membership_condition()
    return found if condition is None else found.filter(condition)


def people_for_admin(user, reach: AdminReach | None = None) -> QuerySet:
    """The people the person administers, each with only the memberships within reach.

    An administrator of everything also sees people who hold no membership at all.
    """
    reach = reach or admin_reach(user)
    memberships = memberships_for_admin(user, reach).order_by("role", "pk")
    people = User.objects.order_by("first_name", "email", "pk")
    if not reach.everything:
        people = people.filter(pk__in=memberships.values("user_id"))
    return people.prefetch_related(
        Prefetch("memberships", queryset=memberships, to_attr="reachable_memberships")
    )


def _require_administrator(user) -> AdminReach:
    reach = admin_reach(user)
    if not reach.anything:
        raise PermissionDenied(_("Sólo un administrador gestiona a las personas."))
    return reach


def get_person_for_admin(user, pk: int):
    """A person the administrator reaches; 403 for non-administrators, 404 outside reach."""
    reach = _require_administrator(user)
    person = people_for_admin(user, reach).filter(pk=pk).first()
    if person is None:
        raise Http404(_("No existe esa persona o no está a su cargo."))
    return person


def get_membership_for_admin(user, pk: int) -> Membership:
    """A membership the administrator reaches; 403 for non-administrators, 404 outside reach."""
    reach = _require_administrator(user)
    membership = memberships_for_admin(user, reach).select_related("user").filter(pk=pk).first()
    if membership is None:
        raise Http404(_("No existe esa membresía o no está a su cargo."))
    return membership


def institutions_for_admin(user) -> QuerySet[Institution]:
    reach = admin_reach(user)
    if reach.everything:
        return Institution.objects.all()
    return Institution.objects.filter(pk__in=reach.institutions)


def programs_for_admin(user) -> QuerySet[Program]:
    reach = admin_reach(user)
    found = Program.objects.select_related("institution")
    if reach.everything:
        return found
    return found.filter(Q(pk__in=reach.programs) | Q(institution_id__in=reach.institutions))


def areas_for_admin(user) -> QuerySet[Area]:
    reach = admin_reach(user)
    found = Area.objects.select_related("institution")
    if reach.everything:
        return found
    return found.filter(Q(pk__in=reach.areas) | Q(institution_id__in=reach.institutions))


# Rules -------------------------------------------------------------------------------------


def _check_scope(
    *,
    role: str,
    institution: Institution | None,
    program: Program | None,
    area: Area | None,
    reach: AdminReach,
) -> None:
    """A role's scope must fit the role and lie within the administrator's reach."""
    if role not in Role.values:
        raise ValidationError(_("Ese papel no existe."))
    if sum(scope is not None for scope in (institution, program, area)) > 1:
        raise ValidationError(_("Indique un solo alcance: una dependencia, un programa o un área."))
    if role == Role.LIAISON and program is None:
        raise ValidationError(_("Un enlace del programa necesita el programa que atiende."))
    if role == Role.AREA_STAFF and area is None:
        raise ValidationError(_("El personal de área necesita el área en la que trabaja."))
    if not reach.covers(institution=institution, program=program, area=area):
        if institution is None and program is None and area is None:
            raise PermissionDenied(
                _("Sólo quien administra todo el sistema da papeles en todas las dependencias.")
            )
        raise PermissionDenied(_("Ese alcance está fuera de lo que usted administra."))


def _covers_membership(reach: AdminReach, membership: Membership) -> bool:
    return reach.covers(
        institution=membership.institution, program=membership.program, area=membership.area
    )


def _is_last_administrator_membership(membership: Membership, actor) -> bool:
    """Whether this is the actor's own and only administrator membership."""
    return (
        membership.user_id == actor.pk
        and membership.role == Role.ADMINISTRATOR
        and not Membership.objects.filter(user=actor, role=Role.ADMINISTRATOR)
        .exclude(pk=membership.pk)
        .exists()
    )


def _person_values(person) -> dict[str, Any]:
    return {name: getattr(person, name) for name in _PERSON_FIELDS}


def _person_record(action: str, person, *, actor, before: dict | None, source: str):
    record = change_record(action=action, obj=person, actor=actor, before=before, source=source)
    record.after = _person_values(person)  # the snapshot would carry the password hash
    return record


# Writes ------------------------------------------------------------------------------------


@transaction.atomic
def person_invite(
    *,
    email: str,
    name: str,
    role: str,
    institution: Institution | None = None,
    program: Program | None = None,
    area: Area | None = None,
    actor,
    base_url: str,
    language: str = "es-mx",
    source: str = WEB_SOURCE,
):
    """A new person with one membership and no password yet, sent a link to choose one.

    If the e-mail cannot be sent nothing is kept, so the invitation can simply be tried again.
    """
    reach = _require_administrator(actor)
    email = email.strip().lower()
    validate_email(email)
    _check_scope(role=role, institution=institution, program=program, area=area, reach=reach)
    if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise ValidationError(
            _("Ya existe una cuenta con el correo %(email)s."), params={"email": email}
        )
    person = User(username=email, email=email, first_name=name.strip()[:150], is_active=True)
    person.set_unusable_password()
    person.full_clean()
    person.save()
    membership = Membership(
        user=person, role=role, institution=institution, program=program, area=area
    )
    membership.full_clean()
    membership.save()
    ChangeRecord.objects.bulk_create(
        [
            _person_record(
                ChangeRecord.Action.CREATE, person, actor=actor, before=None, source=source
            ),
            change_record(
                action=ChangeRecord.Action.CREATE, obj=membership, actor=actor, source=source
            ),
        ]
    )
    invitation_send(person=person, actor=actor, base_url=base_url, language=language)
    return person


def invitation_send(*, person, actor, base_url: str, language: str = "es-mx") -> None:
    """E-mail the person a link to choose their password, in the language given."""
    token = default_token_generator.make_token(person)
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    path = reverse("invitation-confirm", kwargs={"uidb64": uid, "token": token})
    context = {
        "person": person,
        "inviter": actor.get_full_name() or actor.get_username(),
        "link": base_url.rstrip("/") + path,
        "username": person.get_username(),
    }
    with translation.override(language):
        subject = render_to_string("registration/invitation_subject.txt", context)
        body = render_to_string("registration/invitation_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [person.email])


@transaction.atomic
def invitation_resend(*, person, actor, base_url: str, language: str = "es-mx"):
    """A new invitation for someone who has not chosen a password yet."""
    reach = _require_administrator(actor)
    if not people_for_admin(actor, reach).filter(pk=person.pk).exists():
        raise PermissionDenied(_("Esa persona no está a su cargo."))
    if person.has_usable_password():
        raise ValidationError(_("Esta persona ya eligió su contraseña."))
    if not person.is_active:
        raise ValidationError(_("Esta persona está desactivada."))
    invitation_send(person=person, actor=actor, base_url=base_url, language=language)
    return person


@transaction.atomic
def membership_add(
    *,
    person,
    role: str,
    institution: Institution | None = None,
    program: Program | None = None,
    area: Area | None = None,
    actor,
    source: str = WEB_SOURCE,
) -> Membership:
    """One more role for a person the administrator reaches, within the administrator's reach."""
    reach = _require_administrator(actor)
    if not people_for_admin(actor, reach).filter(pk=person.pk).exists():
        raise PermissionDenied(_("Esa persona no está a su cargo."))
    _check_scope(role=role, institution=institution, program=program, area=area, reach=reach)
    membership = Membership(
        user=person, role=role, institution=institution, program=program, area=area
    )
    if Membership.objects.filter(
        user=person, role=role, institution=institution, program=program, area=area
    ).exists():
        raise ValidationError(_("Esa persona ya tiene ese papel con ese alcance."))
    membership.full_clean()
    membership.save()
    change_record(
        action=ChangeRecord.Action.CREATE, obj=membership, actor=actor, source=source
    ).save()
    return membership


@transaction.atomic
def membership_change(
    *,
    membership: Membership,
    role: str,
    institution: Institution | None = None,
    program: Program | None = None,
    area: Area | None = None,
    actor,
    source: str = WEB_SOURCE,
) -> Membership:
    """A membership's role or scope changed, from within the reach to within the reach."""
    reach = _require_administrator(actor)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not _covers_membership(reach, membership):
        raise PermissionDenied(_("Esa membresía está fuera de lo que usted administra."))
    _check_scope(role=role, institution=institution, program=program, area=area, reach=reach)
    if role != Role.ADMINISTRATOR and _is_last_administrator_membership(membership, actor):
        raise ValidationError(_("No puede quitarse su última membresía de administrador."))
    before = snapshot(membership)
    membership.role = role
    membership.institution, membership.program, membership.area = institution, program, area
    membership.full_clean()
    membership.save()
    change_record(
        action=ChangeRecord.Action.UPDATE, obj=membership, actor=actor, before=before, source=source
    ).save()
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor, source: str = WEB_SOURCE) -> None:
    """A membership ended; nobody ends their own last administrator membership."""
    reach = _require_administrator(actor)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not _covers_membership(reach, membership):
        raise PermissionDenied(_("Esa membresía está fuera de lo que usted administra."))
    if _is_last_administrator_membership(membership, actor):
        raise ValidationError(_("No puede quitarse su última membresía de administrador."))
    record = change_record(
        action=ChangeRecord.Action.DELETE, obj=membership, actor=actor, source=source
    )
    record.before = snapshot(membership)
    membership.delete()
    record.save()


@transaction.atomic
def person_deactivate(*, person, actor, source: str = WEB_SOURCE):
    """The person may no longer sign in; their memberships and history stay.

    Only an administrator who reaches every membership of the person may do it, so one
    institution cannot lock out someone another institution relies on.
    """
    reach = _require_administrator(actor)
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.pk == actor.pk:
        raise ValidationError(_("No puede desactivar su propia cuenta."))
    memberships = list(Membership.objects.filter(user=person).select_related("program", "area"))
    outside = (person.is_superuser and not actor.is_superuser) or not all(
        _covers_membership(reach, m) for m in memberships
    )
    if outside or not (memberships or reach.everything):
        raise PermissionDenied(
            _("Esta persona tiene papeles fuera de lo que usted administra; quite sólo los suyos.")
        )
    if not person.is_active:
        raise ValidationError(_("Esta persona ya está desactivada."))
    before = _person_values(person)
    person.is_active = False
    person.full_clean()
    person.save(update_fields=["is_active"])
    _person_record(
        ChangeRecord.Action.UPDATE, person, actor=actor, before=before, source=source
    ).save()
    return person
