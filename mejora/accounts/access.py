"""What a person may see and do: one restrict-style scoping per thing, shared by every page,
command and API, and one fetch helper per thing that answers 404 outside the scope (no hint
that the record exists) and 403 where the person may read but not act.

A membership reaches a program (liaison), an area's activities (area staff), an institution,
or everything (no scope given); its role says which actions it allows there. A person's
reach for an action is the union of their memberships that allow it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

from mejora.accounts.models import Action, Membership, Role
from mejora.followup.models import Activity, ActivityArea, Aspect, Evidence, Program, ProgressReport
from mejora.followup.scope import ImportRefused, ImportScope, import_target

M = TypeVar("M", bound=Model)

_NOT_FOUND = gettext_lazy("No existe o no tiene acceso a él.")
_FORBIDDEN = gettext_lazy("Su papel le permite consultar esto, pero no esa acción.")


def _reach(
    user,
    action: str,
    *,
    program: str,
    institution: str,
    activities: Callable[[QuerySet[Activity]], Q],
    through_areas: bool = True,
) -> Q | None:
    """The condition a person's memberships put on one model for an action; None for all.

    `program` and `institution` are the model's lookups of its program's and institution's
    ids; `activities` narrows the model to the records of some activities (an area's reach).
    Without `through_areas`, an area's memberships reach nothing: only whole programs count.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    reach = Q(pk__in=[])
    for membership in Membership.objects.filter(user=user):
        if action not in membership.actions:
            continue
        if membership.program_id:
            reach |= Q(**{program: membership.program_id})
        elif membership.area_id:
            if not through_areas:
                continue
            roles = ActivityArea.objects.filter(area_id=membership.area_id)
            reach |= activities(Activity.objects.filter(pk__in=roles.values("activity_id")))
        elif membership.institution_id:
            reach |= Q(**{institution: membership.institution_id})
        else:
            return None
    return reach


def _restrict(queryset: QuerySet[M], reach: Q | None) -> QuerySet[M]:
    return queryset if reach is None else queryset.filter(reach)


def programs_for_user(user, action: str = Action.VIEW) -> QuerySet[Program]:
    """The programs a person reaches for an action; an area reaches its activities' programs."""
    reach = _reach(
        user,
        action,
        program="pk",
        institution="institution_id",
        activities=lambda a: Q(pk__in=a.values("aspect__program_id")),
    )
    return _restrict(Program.objects.select_related("institution"), reach)


def whole_programs_for_user(user, action: str = Action.VIEW) -> QuerySet[Program]:
    """The programs a person reaches whole for an action: area staff, who reach only their
    area's activities, reach none of them whole (nor their annexes)."""
    reach = _reach(
        user,
        action,
        program="pk",
        institution="institution_id",
        activities=lambda a: Q(pk__in=[]),
        through_areas=False,
    )
    return _restrict(Program.objects.select_related("institution"), reach)


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
    reach = _reach(
        user,
        action,
        program="program_id",
        institution="program__institution_id",
        activities=lambda a: Q(pk__in=a.values("aspect_id")),
    )
    return _restrict(Aspect.objects.all(), reach)


def activities_for_user(user, action: str = Action.VIEW) -> QuerySet[Activity]:
    """The activities a person reaches for an action: area staff only their area's."""
    reach = _reach(
        user,
        action,
        program="aspect__program_id",
        institution="aspect__program__institution_id",
        activities=lambda a: Q(pk__in=a.values("pk")),
    )
    return _restrict(Activity.objects.all(), reach)


def reports_for_user(user, action: str = Action.VIEW) -> QuerySet[ProgressReport]:
    reach = _reach(
        user,
        action,
        program="activity__aspect__program_id",
        institution="activity__aspect__program__institution_id",
        activities=lambda a: Q(activity_id__in=a.values("pk")),
    )
    return _restrict(ProgressReport.objects.all(), reach)


def evidence_for_user(user, action: str = Action.VIEW) -> QuerySet[Evidence]:
    reach = _reach(
        user,
        action,
        program="report__activity__aspect__program_id",
        institution="report__activity__aspect__program__institution_id",
        activities=lambda a: Q(report__activity_id__in=a.values("pk")),
    )
    return _restrict(Evidence.objects.all(), reach)


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
    memberships = Membership.objects.filter(user=user)
    if everywhere:
        memberships = memberships.filter(
            program__isnull=True, area__isnull=True, institution__isnull=True
        )
    return user.is_superuser or any(action in m.actions for m in memberships)


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
    for membership in Membership.objects.filter(user=user):
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
