"""Who hears of what: the people a notice goes to, by the same scopes the access layer uses.

A program's liaisons are the people with a liaison membership for it; an activity's people
are its program's liaisons and the staff of the areas that coordinate or carry it out; the
evaluation unit of a program is every evaluator of its institution or of all of them.
Only active people with an e-mail address are named.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from mejora.accounts.access import activities_for_user, reports_for_user
from mejora.accounts.models import Action, Membership, Role
from mejora.followup.models import Activity, ActivityArea, Cut, Program, ProgressReport
from mejora.followup.pending_work import to_capture, to_fix


def _people(memberships: QuerySet[Membership]) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(pk__in=memberships.values("user_id"), is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def program_liaisons(program: Program) -> QuerySet:
    return _people(Membership.objects.filter(role=Role.LIAISON, program=program))


def evaluation_unit(program: Program) -> QuerySet:
    """Evaluators of the program's institution and those over every institution."""
    return _people(
        Membership.objects.filter(
            role=Role.EVALUATOR, program__isnull=True, area__isnull=True
        ).filter(Q(institution=program.institution_id) | Q(institution__isnull=True))
    )


def activity_people(activity: Activity) -> QuerySet:
    """The program's liaisons and the staff of the activity's areas."""
    areas = ActivityArea.objects.filter(activity=activity).values("area_id")
    return _people(
        Membership.objects.filter(
            Q(role=Role.LIAISON, program=activity.aspect.program_id)
            | Q(role=Role.AREA_STAFF, area__in=areas)
        )
    )


def report_people(report: ProgressReport) -> QuerySet:
    """Whoever answers for a report: its program's liaisons, and the person who sent it
    when they still may capture it (area staff, say)."""
    liaisons = program_liaisons(report.activity.aspect.program)
    sender = report.submitted_by
    if sender is None or not reports_for_user(sender, Action.CAPTURE).filter(pk=report.pk).exists():
        return liaisons
    return (liaisons | get_user_model().objects.filter(pk=sender.pk, is_active=True)).exclude(
        email=""
    )


@dataclass
class Pending:
    """What one person still has to do at a cut: activities to capture, reports to fix."""

    to_capture: list[Activity] = field(default_factory=list)
    to_fix: list[ProgressReport] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.to_capture or self.to_fix)


def people_with_pending(cut: Cut) -> dict:
    """Each liaison and area staff member with something still to capture or fix at the cut,
    with what it is; a few queries per person who captures."""
    capturers = _people(Membership.objects.filter(role__in=[Role.LIAISON, Role.AREA_STAFF]))
    found: dict = defaultdict(Pending)
    for person in capturers:
        activities = to_capture(activities_for_user(person, Action.CAPTURE), cut)
        reports = to_fix(reports_for_user(person, Action.CAPTURE), cut)
        pending = Pending(
            list(activities.select_related("aspect__program").order_by("aspect_id", "order")),
            list(reports.select_related("activity__aspect__program").order_by("pk")),
        )
        if pending:
            found[person] = pending
    return dict(found)
