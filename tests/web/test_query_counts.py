"""What every list page costs in queries: the same for 2 ASM as for 20, each with its
activities, reports, evidence and replannings — no page does one query per row.

Each page is asked twice on a small record (the first request warms what a process keeps
between requests), the second count is the baseline; then the record grows tenfold and the
page must cost exactly that baseline again. BUDGET keeps each baseline from creeping up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from mejora.accounts.models import Membership, Role
from mejora.annex.renderers import render
from mejora.annex.synth import synth_document
from mejora.followup.models import (
    ActivityArea,
    AspectLink,
    ChangeRecord,
    Cut,
    Evaluation,
    Evidence,
    ProgressReport,
    Recommendation,
    Replanning,
)
from mejora.followup.services.pending import pending_save
from mejora.tasks.work import review_read_start
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import (
    SEED_INSTITUTION,
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    InstitutionFactory,
    ProgramFactory,
    ProgressReportFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

FEW, MANY = 2, 20

# The queries each page costs today, whatever the size of the record: a page that needs more
# must say why here.
BUDGET = {
    "home": 5,
    "dashboard": 19,
    # Which counting applies is one more read of the memberships, the institutions to choose
    # from one more query (not every program of the record), the count one sum of tallies.
    "dashboard-overdue": 13,
    "dashboard/area_staff": 22,
    "program-detail": 24,
    "review-queue": 8,
    "pending": 16,
    "cut-list": 13,
    "people": 15,
    "commitments-program": 20,
    "activity-detail": 21,
    "import-review": 11,
    "position-detail": 18,
    "balance": 9,
    "home/evaluator": 7,
    "program-detail/area_staff": 25,
    "pending/area_staff": 16,
    "pending/evaluator": 11,
    "review-queue/administrator": 14,
    "activity-detail/area_staff": 21,
    "search": 14,
    "near-duplicates": 9,
}


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


@dataclass
class Record:
    """One institution's program with its area, an open cut and a closed one before it."""

    program: object
    area: object
    open_cut: Cut
    closed_cut: Cut
    activity: object | None = None
    last_aspect: object | None = None
    grown: int = 0


@pytest.fixture
def record() -> Record:
    program = ProgramFactory()
    return Record(
        program=program,
        area=AreaFactory(institution=program.institution),
        open_cut=CutFactory(
            date=dt.date(2012, 9, 30), name="septiembre 2012", state=Cut.State.OPEN
        ),
        closed_cut=CutFactory(date=dt.date(2012, 3, 31), name="marzo 2012", state=Cut.State.CLOSED),
    )


def _grow(record: Record, to: int) -> None:
    """Bring the record to `to` ASM of two activities each, with everything a list shows:
    areas, validated, sent and returned reports, evidence, replannings, recommendations,
    related ASM, other programs, cuts and people."""
    author = UserFactory(username="autora")
    for n in range(record.grown, to):
        evaluation = Evaluation.objects.create(program=record.program, kind="Diseño", year=2000 + n)
        recommendation = Recommendation.objects.create(
            evaluation=evaluation, text=f"Recomendación {n}", position="attended"
        )
        Recommendation.objects.create(
            evaluation=evaluation, text=f"Otra {n}", position="not_attended", reason="Sin datos."
        )
        aspect = AspectFactory(
            program=record.program, evaluation=evaluation, recommendation=recommendation
        )
        if record.last_aspect is not None:
            AspectLink.objects.create(
                aspect=aspect, related=record.last_aspect, kind=AspectLink.Kind.CONTINUES
            )
        record.last_aspect = aspect
        for order, state in enumerate(
            (ProgressReport.State.SUBMITTED, ProgressReport.State.RETURNED), start=1
        ):
            activity = ActivityFactory(aspect=aspect, order=order)
            for role in (ActivityArea.Role.COORDINATING, ActivityArea.Role.RESPONSIBLE):
                ActivityArea.objects.create(
                    activity=activity, area=record.area, role=role, position=1
                )
            ProgressReportFactory(activity=activity, cut=record.closed_cut, percent=40)
            report = ProgressReportFactory(
                activity=activity,
                cut=record.open_cut,
                percent=60,
                state=state,
                return_reason="Falta el oficio." if state == ProgressReport.State.RETURNED else "",
                submitted_by=author,
            )
            Evidence.objects.create(report=report, name="Oficio", url="https://example.org/o")
            Replanning.objects.create(
                activity=activity,
                cut=record.open_cut,
                previous_due_on=activity.due_on,
                previous_due_precision="day",
                previous_due_text=activity.due_text,
                new_due_on=dt.date(2013, 6, 30),
                new_due_precision="month",
                new_due_text="junio 2013",
                justification="El padrón llegó tarde.",
                created_by=author,
            )
        # Elsewhere: another program, a past cut, and a person with a role.
        ProgramFactory(institution=record.program.institution)
        CutFactory(date=dt.date(2000 + n, 12, 31), name=f"diciembre {2000 + n}")
        person = UserFactory(username=f"persona-{n}", email=f"persona{n}@example.org")
        Membership.objects.create(user=person, role=Role.LIAISON, program=record.program)
    record.grown = to


def _grow_history(record: Record, to: int) -> None:
    """Bring one activity's story to `to` cuts, each with a report, evidence and replanning."""
    if record.activity is None:
        record.activity = ActivityFactory(aspect=AspectFactory(program=record.program))
        ActivityArea.objects.create(
            activity=record.activity,
            area=record.area,
            role=ActivityArea.Role.RESPONSIBLE,
            position=1,
        )
    author = UserFactory(username="autora")
    for n in range(record.grown, to):
        cut = CutFactory(date=dt.date(2001 + n, 3, 31), name=f"marzo {2001 + n}")
        report = ProgressReportFactory(activity=record.activity, cut=cut, percent=min(n * 5, 95))
        Evidence.objects.create(report=report, name=f"Oficio {n}", url="https://example.org/o")
        Replanning.objects.create(
            activity=record.activity,
            cut=cut,
            previous_due_on=dt.date(2001 + n, 12, 31),
            previous_due_precision="day",
            previous_due_text=f"31/12/{2001 + n}",
            new_due_on=dt.date(2002 + n, 12, 31),
            new_due_precision="year",
            new_due_text=str(2002 + n),
            justification="Sin presupuesto.",
            created_by=author,
        )
        ChangeRecord.objects.create(
            actor=author,
            action=ChangeRecord.Action.UPDATE,
            model="followup.ProgressReport",
            object_id=str(report.pk),
            object_repr=str(report),
            after={"percent": report.percent},
            source="página web",
        )
    record.grown = to


def _grow_position(record: Record, to: int) -> None:
    """Bring one evaluation to `to` recommendations and as many ASM."""
    evaluation, _ = Evaluation.objects.get_or_create(program=record.program, kind="Diseño")
    for n in range(record.grown, to):
        Recommendation.objects.create(
            evaluation=evaluation, text=f"Recomendación {n}", position="partial", reason="En parte."
        )
        AspectFactory(program=record.program, evaluation=evaluation, priority="alta")
    record.grown = to


def _upload(record: Record, owner, to: int) -> str:
    doc = synth_document(aspects=to)
    doc = dataclasses.replace(doc, institution=SEED_INSTITUTION)
    token = pending_save(data=render(doc, "txt"), file_name="anexo-e.txt", owner_id=owner.pk)
    review_read_start(token, actor=owner)
    return token


def _indexed(url: str, *made: object) -> str:
    """The URL, once the search index holds the record as it now is."""
    from mejora.search.indexing import index_rebuild

    index_rebuild()
    return url


@dataclass(frozen=True)
class ListPage:
    """Who looks at the page, its address, and how its record grows."""

    who: Callable[[Record], object]
    url: Callable[[Record, object, int], str]
    grow: Callable[[Record, int], None] = _grow


PAGES: dict[str, ListPage] = {
    "home": ListPage(lambda r: member(Role.OVERSIGHT), lambda r, u, n: reverse("home")),
    "balance": ListPage(lambda r: member(Role.OVERSIGHT), lambda r, u, n: reverse("balance")),
    "program-detail": ListPage(
        lambda r: member(Role.LIAISON, program=r.program),
        lambda r, u, n: reverse("program-detail", args=[r.program.pk]),
    ),
    "review-queue": ListPage(
        lambda r: member(Role.EVALUATOR, institution=r.program.institution),
        lambda r, u, n: reverse("review-queue"),
    ),
    "pending": ListPage(
        lambda r: member(Role.LIAISON, program=r.program), lambda r, u, n: reverse("pending")
    ),
    "cut-list": ListPage(lambda r: member(Role.ADMINISTRATOR), lambda r, u, n: reverse("cut-list")),
    "people": ListPage(lambda r: member(Role.ADMINISTRATOR), lambda r, u, n: reverse("people")),
    "commitments-program": ListPage(
        lambda r: member(Role.LIAISON, program=r.program),
        lambda r, u, n: reverse("commitments-program", args=[r.program.pk]),
    ),
    "activity-detail": ListPage(
        lambda r: member(Role.LIAISON, program=r.program),
        lambda r, u, n: reverse("activity-detail", args=[r.activity.pk]),
        grow=_grow_history,
    ),
    # The same pages for the other roles that read them, whose reach is a subquery.
    "home/evaluator": ListPage(
        lambda r: member(Role.EVALUATOR, institution=r.program.institution),
        lambda r, u, n: reverse("home"),
    ),
    "program-detail/area_staff": ListPage(
        lambda r: member(Role.AREA_STAFF, area=r.area),
        lambda r, u, n: reverse("program-detail", args=[r.program.pk]),
    ),
    "pending/area_staff": ListPage(
        lambda r: member(Role.AREA_STAFF, area=r.area), lambda r, u, n: reverse("pending")
    ),
    "pending/evaluator": ListPage(
        lambda r: member(Role.EVALUATOR, institution=r.program.institution),
        lambda r, u, n: reverse("pending"),
    ),
    "review-queue/administrator": ListPage(
        lambda r: member(Role.ADMINISTRATOR), lambda r, u, n: reverse("review-queue")
    ),
    # The dashboard counts in the database; its trend and lists are bounded.
    "dashboard": ListPage(
        lambda r: member(Role.EVALUATOR, institution=r.program.institution),
        lambda r, u, n: reverse("dashboard"),
    ),
    "dashboard-overdue": ListPage(
        lambda r: member(Role.OVERSIGHT), lambda r, u, n: reverse("dashboard-overdue")
    ),
    "dashboard/area_staff": ListPage(
        lambda r: member(Role.AREA_STAFF, area=r.area), lambda r, u, n: reverse("dashboard")
    ),
    "activity-detail/area_staff": ListPage(
        lambda r: member(Role.AREA_STAFF, area=r.area),
        lambda r, u, n: reverse("activity-detail", args=[r.activity.pk]),
        grow=_grow_history,
    ),
    # One evaluation's position: its recommendations and ASM, counted.
    "position-detail": ListPage(
        lambda r: member(Role.LIAISON, program=r.program),
        lambda r, u, n: reverse("position-detail", args=[Evaluation.objects.get().pk]),
        grow=_grow_position,
    ),
    # Search and near-duplicates read the index, written again from the grown record.
    "search": ListPage(
        lambda r: member(Role.LIAISON, program=r.program),
        lambda r, u, n: _indexed(reverse("search") + "?q=recomendaciones"),
    ),
    "near-duplicates": ListPage(
        lambda r: member(Role.EVALUATOR, institution=r.program.institution),
        # One ASM more, linked to none, so that even the small record has pairs to list.
        lambda r, u, n: _indexed(reverse("near-duplicates"), AspectFactory(program=r.program)),
    ),
    # The review of an upload: a reading of 2 ASM and one of 20.
    "import-review": ListPage(
        lambda r: member(Role.EVALUATOR, institution=InstitutionFactory(name=SEED_INSTITUTION)),
        lambda r, u, n: reverse("import-review", args=[_upload(r, u, n)]),
        grow=lambda r, n: None,
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_costs_the_same_queries_for_few_and_many_rows(
    client, record, name, django_assert_num_queries, django_assert_max_num_queries
):
    page = PAGES[name]
    page.grow(record, FEW)
    user = page.who(record)
    client.force_login(user)
    url = page.url(record, user, FEW)
    assert client.get(url).status_code == 200  # warms what a process keeps between requests
    with django_assert_max_num_queries(BUDGET[name]) as few:
        assert client.get(url).status_code == 200
    baseline = len(few.captured_queries)  # read now: the next request clears the log
    page.grow(record, MANY)
    url = page.url(record, user, MANY)
    client.get(url)
    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert response.status_code == 200


def test_the_grown_record_is_what_the_pages_list(client, record):
    """The larger record really is larger where the pages look (no test that cannot fail)."""
    _grow(record, MANY)
    client.force_login(member(Role.EVALUATOR, institution=record.program.institution))
    queue = client.get(reverse("review-queue"))
    assert len(queue.context["reports"]) == MANY
    client.force_login(member(Role.LIAISON, program=record.program))
    pending = client.get(reverse("pending"))
    assert len(pending.context["fix"]) == MANY
    commitments = client.get(reverse("commitments-program", args=[record.program.pk]))
    assert len(list(commitments.context["aspects"])) == MANY
    client.force_login(member(Role.OVERSIGHT))
    assert len(client.get(reverse("home")).context["programs"]) == MANY + 1
