"""What a person may see and do: one restrict-style scoping per thing, shared by every page,
command and API, and one fetch helper per thing that answers 404 outside the scope (no hint
that the record exists) and 403 where the person may read but not act.

A membership reaches a program (liaison), an area's activities (area staff), an institution,
or everything (no scope given); its role says which actions it allows there. A person's
reach for an action is the union of their memberships that allow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

from mejora.accounts.models import ROLE_ACTIONS, Action, Membership, Role
from mejora.followup.models import Activity, ActivityArea, Aspect, Evidence, Program, ProgressReport
from mejora.followup.scope import ImportRefused, ImportScope, import_target

M = TypeVar("M", bound=Model)

_NOT_FOUND = gettext_lazy("No existe o no tiene acceso a él.")
_FORBIDDEN = gettext_lazy("Su papel le permite consultar esto, pero no esa acción.")


@dataclass(frozen=True)
class _Lookups:
    """How one model finds its program and institution, and its records of some activities
    (an area's reach)."""

    program: str
    institution: str
    of_activities: Callable[[QuerySet[Activity]], Q]


_LOOKUPS: dict[type[Model], _Lookups] = {
    Program: _Lookups("pk", "institution_id", lambda a: Q(pk__in=a.values("aspect__program_id"))),
    Aspect: _Lookups(
        "program_id", "program__institution_id", lambda a: Q(pk__in=a.values("aspect_id"))
    ),
    Activity: _Lookups(
        "aspect__program_id", "aspect__program__institution_id", lambda a: Q(pk__in=a.values("pk"))
    ),
    ProgressReport: _Lookups(
        "activity__aspect__program_id",
        "activity__aspect__program__institution_id",
        lambda a: Q(activity_id__in=a.values("pk")),
    ),
    Evidence: _Lookups(
        "report__activity__aspect__program_id",
        "report__activity__aspect__program__institution_id",
        lambda a: Q(report__activity_id__in=a.values("pk")),
    ),
}


def memberships_of(user) -> list[Membership]:
    """The person's memberships, read once per user object, that is once per request: a page
    asks several reach questions of them. As Django keeps a user's permissions on the user
    (`_perm_cache`), a membership changed later is seen by the next request's user."""
    try:
        return user._memberships_read
    except AttributeError:
        user._memberships_read = list(Membership.objects.filter(user=user).order_by("pk"))
        return user._memberships_read


def records_for_user(
    model: type[M], user, action: str = Action.VIEW, *, through_areas: bool = True
) -> QuerySet[M]:
    """The records of a model a person's memberships reach for an action.

    Without `through_areas`, an area's memberships reach nothing: only whole programs count.
    """
    records = model.objects.all()
    if not user.is_authenticated or not user.is_active:
        return records.none()
    if user.is_superuser:
        return records
    lookups = _LOOKUPS[model]
    reach = Q(pk__in=[])
    for membership in memberships_of(user):
        if action not in membership.actions:
            continue
        if membership.program_id:
            reach |= Q(**{lookups.program: membership.program_id})
        elif membership.area_id:
            if not through_areas:
                continue
            roles = ActivityArea.objects.filter(area_id=membership.area_id)
            of_area = Activity.objects.filter(pk__in=roles.values("activity_id"))
            reach |= lookups.of_activities(of_area)
        elif membership.institution_id:
            reach |= Q(**{lookups.institution: membership.institution_id})
        else:
            return records
    return records.filter(reach)


def programs_for_user(user, action: str = Action.VIEW) -> QuerySet[Program]:
    """The programs a person reaches for an action; an area reaches its activities' programs."""
    return records_for_user(Program, user, action).select_related("institution")


def whole_programs_for_user(user, action: str = Action.VIEW) -> QuerySet[Program]:
    """The programs a person reaches whole for an action: area staff, who reach only their
    area's activities, reach none of them whole (nor their annexes)."""
    return records_for_user(Program, user, action, through_areas=False)


def whole_program_reach(user, action: str = Action.VIEW) -> QuerySet[Program] | None:
    """The programs a person's reach for an action is made of, when it is made of whole
    programs (their records are then all those of these programs); None when an area's
    membership reaches only part of a program."""
    if not user.is_authenticated or not user.is_active:
        return Program.objects.none()
    if user.is_superuser:
        return Program.objects.all()
    memberships = [m for m in memberships_of(user) if action in m.actions]
    if any(
        m.program_id is None and m.area_id is None and m.institution_id is None for m in memberships
    ):
        return Program.objects.all()
    if any(m.area_id for m in memberships):
        return None
    return whole_programs_for_user(user, action)


def get_whole_program_for_user(user, pk: int, action: str = Action.VIEW) -> Program:
    """The program for a page of all of it (an annex): 404 outside, 403 to area staff."""
    program = get_program_for_user(user, pk, action)
    if not whole_programs_for_user(user, action).filter(pk=pk).exists():
        raise PermissionDenied(
            gettext(
                "Su papel le permite ver solo las actividades de su área, no el programa entero."
            )
        )
    return program


def aspects_for_user(user, action: str = Action.VIEW) -> QuerySet[Aspect]:
    return records_for_user(Aspect, user, action)


def activities_for_user(user, action: str = Action.VIEW) -> QuerySet[Activity]:
    """The activities a person reaches for an action: area staff only their area's."""
    return records_for_user(Activity, user, action)


def reports_for_user(user, action: str = Action.VIEW) -> QuerySet[ProgressReport]:
    return records_for_user(ProgressReport, user, action)


def evidence_for_user(user, action: str = Action.VIEW) -> QuerySet[Evidence]:
    return records_for_user(Evidence, user, action)


def _get_for_user(selector: Callable[..., QuerySet[M]], user, pk: int, action: str) -> M:
    """404 for anyone who may not even read it; 403 for a reader who may not act on it."""
    found = selector(user, Action.VIEW).filter(pk=pk).first()
    if found is None:
        raise Http404(_NOT_FOUND)
    if action != Action.VIEW and not selector(user, action).filter(pk=pk).exists():
        raise PermissionDenied(_FORBIDDEN)
    return found


def get_program_for_user(user, pk: int, action: str = Action.VIEW) -> Program:
    return _get_for_user(programs_for_user, user, pk, action)


def get_aspect_for_user(user, pk: int, action: str = Action.VIEW) -> Aspect:
    return _get_for_user(aspects_for_user, user, pk, action)


def get_activity_for_user(user, pk: int, action: str = Action.VIEW) -> Activity:
    return _get_for_user(activities_for_user, user, pk, action)


def get_report_for_user(user, pk: int, action: str = Action.VIEW) -> ProgressReport:
    return _get_for_user(reports_for_user, user, pk, action)


def get_evidence_for_user(user, pk: int, action: str = Action.VIEW) -> Evidence:
    return _get_for_user(evidence_for_user, user, pk, action)


def user_may(user, action: str, *, everywhere: bool = False) -> bool:
    """Whether any of the person's memberships allows the action somewhere; with
    `everywhere`, only a membership over the whole record counts (cuts are everyone's)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return memberships_allow(user, membership_rows(user), action, everywhere=everywhere)


# What `memberships_allow` reads of each membership, in this order.
MEMBERSHIP_COLUMNS = ("role", "institution_id", "program_id", "area_id")


def membership_rows(user) -> tuple[tuple, ...]:
    """The person's memberships as rows of MEMBERSHIP_COLUMNS (read once per request)."""
    return tuple(tuple(getattr(m, c) for c in MEMBERSHIP_COLUMNS) for m in memberships_of(user))


def memberships_allow(user, memberships, action: str, *, everywhere: bool = False) -> bool:
    """`user_may`'s rule over memberships already read (rows of MEMBERSHIP_COLUMNS)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(
        action in ROLE_ACTIONS[role] and (not everywhere or all(s is None for s in scope))
        for role, *scope in memberships
    )


def user_can_import(user) -> bool:
    """Liaisons, evaluation units and administrators bring annexes in."""
    return user_may(user, Action.IMPORT)


def import_scope_for(user) -> ImportScope:
    """Where the person may import annexes, from their memberships (nothing for other roles)."""
    if not user.is_authenticated or not user.is_active:
        return ImportScope()
    if user.is_superuser:
        return ImportScope(everything=True)
    programs: set[int] = set()
    institutions: set[int] = set()
    all_institutions = everything = False
    for membership in memberships_of(user):
        if not membership.can_import:
            continue
        if membership.program_id:
            programs.add(membership.program_id)
        elif membership.institution_id:
            institutions.add(membership.institution_id)
        elif membership.role == Role.ADMINISTRATOR:
            everything = True
        else:  # an evaluation unit over every institution: never a new one
            all_institutions = True
    return ImportScope(
        programs=frozenset(programs),
        institutions=frozenset(institutions),
        all_institutions=all_institutions,
        everything=everything,
    )


def may_import_into(user, institution: str, program: str) -> bool:
    """Whether the person may import an annex naming this institution and program."""
    try:
        import_target(import_scope_for(user), institution=institution, program=program)
    except ImportRefused:
        return False
    return user_can_import(user)


def records_reached(model: type[Model]) -> bool:
    """Whether a model's records have a scope of their own (a cut or a cycle has none)."""
    return model in _LOOKUPS
