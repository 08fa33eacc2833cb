"""The authorization matrix: every page of the project × every role × inside and outside
its scope (and anonymous) → the answer it must get.

Outside its scope a person is told the record does not exist (404, no hint of it); inside
but without the right to act, 403; allowed, the page (200), a redirect after the write
(302), or the refusal of an empty form (400/422). Every named URL of the project (the admin
has its own tests) needs an entry in PAGES: a new page without one fails
`test_every_page_has_an_entry`, naming it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from mejora.accounts.models import Membership, Role
from mejora.annex.document import PartialDate
from mejora.annex.renderers import render
from mejora.annex.synth import synth_document
from mejora.followup.models import ActivityArea, Cut, Evaluation, ProgressReport
from mejora.followup.services.evidence import evidence_add
from mejora.followup.services.pending import pending_save
from mejora.tasks.work import review_read_start
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import (
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

ROLES = ("liaison", "area_staff", "evaluator", "oversight", "administrator")
WHO = (*ROLES, "anonymous")
LOGIN = 302  # anonymous visitors of a private page are sent to the login page


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


@dataclass
class Side:
    """One institution's records: the persona's (inside) or another institution's (outside)."""

    institution: object
    program: object
    area: object
    aspect: object
    activity: object
    evaluation: object
    report: object
    evidence: object


@dataclass
class World:
    inside: Side
    outside: Side
    cut: Cut
    person: object  # someone an administrator manages
    membership: Membership
    personas: dict[str, object] = field(default_factory=dict)


def _side(cut: Cut) -> Side:
    program = ProgramFactory(institution=InstitutionFactory())
    area = AreaFactory(institution=program.institution)
    activity = ActivityFactory(aspect=AspectFactory(program=program))
    ActivityArea.objects.create(
        activity=activity, area=area, role=ActivityArea.Role.RESPONSIBLE, position=1
    )
    report = ProgressReportFactory(activity=activity, cut=cut, state=ProgressReport.State.DRAFT)
    evidence = evidence_add(
        report=report,
        actor=member(Role.LIAISON, program=program),
        file=SimpleUploadedFile("oficio.pdf", b"%PDF-1.4 oficio"),
    )
    # Sent to review, so the evaluation unit has something to decide.
    ProgressReport.objects.filter(pk=report.pk).update(state=ProgressReport.State.SUBMITTED)
    return Side(
        institution=program.institution,
        program=program,
        area=area,
        aspect=activity.aspect,
        activity=activity,
        evaluation=Evaluation.objects.create(program=program, kind="Diseño", year=2025),
        report=report,
        evidence=evidence,
    )


@pytest.fixture
def world() -> World:
    cut = CutFactory(date=dt.date(2012, 9, 30), name="septiembre 2012", state=Cut.State.OPEN)
    inside, outside = _side(cut), _side(cut)
    person = UserFactory(username="persona-administrada", email="p@example.org")
    membership = Membership.objects.create(user=person, role=Role.LIAISON, program=outside.program)
    world = World(inside, outside, cut, person, membership)
    world.personas = {
        "liaison": member(Role.LIAISON, program=inside.program),
        "area_staff": member(Role.AREA_STAFF, area=inside.area),
        "evaluator": member(Role.EVALUATOR, institution=inside.institution),
        "oversight": member(Role.OVERSIGHT),
        "administrator": member(Role.ADMINISTRATOR),
    }
    return world


def _upload(world: World, owner, side: Side, *, read: bool = False) -> str:
    """An annex of the side's program kept for its owner's review (read at once if asked)."""
    doc = synth_document(aspects=1)
    # Prepared at the open cut: a liaison's import is sent for review, so only there.
    doc = dataclasses.replace(
        doc,
        institution=side.institution.name,
        program=side.program.name,
        prepared=PartialDate(2012, 9, 30, "30 de septiembre de 2012"),
    )
    token = pending_save(data=render(doc, "txt"), file_name="anexo-e.txt", owner_id=owner.pk)
    if read:
        review_read_start(token, actor=owner)
    return token


def _import_token(*, read: bool = False) -> Callable[[World, object, bool], list]:
    """The person's own upload inside; outside, an upload of someone else's institution."""

    def build(world: World, user, inside: bool) -> list:
        if inside:
            owner = user if user is not None else UserFactory()
            return [_upload(world, owner, world.inside, read=read)]
        stranger = member(Role.EVALUATOR, institution=world.outside.institution)
        return [_upload(world, stranger, world.outside, read=True)]

    return build


def _of(thing: str, *extra: str) -> Callable[[World, object, bool], list]:
    """The pk of the inside or outside side's `thing`, then any fixed arguments."""

    def build(world: World, user, inside: bool) -> list:
        side = world.inside if inside else world.outside
        return [getattr(side, thing).pk, *extra]

    return build


def _fixed(*args) -> Callable[[World, object, bool], list]:
    return lambda world, user, inside: list(args)


def _none(world: World, user, inside: bool) -> list:
    return []


def answers(
    liaison: int,
    area_staff: int,
    evaluator: int,
    oversight: int,
    administrator: int,
    anonymous: int = LOGIN,
) -> dict[str, int]:
    return {
        "liaison": liaison,
        "area_staff": area_staff,
        "evaluator": evaluator,
        "oversight": oversight,
        "administrator": administrator,
        "anonymous": anonymous,
    }


EVERYONE = answers(200, 200, 200, 200, 200)
PUBLIC = answers(200, 200, 200, 200, 200, anonymous=200)
ADMINISTRATORS = answers(403, 403, 403, 403, 200)
WHOLE_PROGRAM = answers(200, 403, 200, 200, 200)


@dataclass(frozen=True)
class Page:
    """How to reach one URL pattern and what each role is answered there.

    `get`/`post` are the answers inside the scope. Outside it (`scoped` pages only) the
    roles bound to an institution, program or area are told 404 and the roles over
    everything get what they get inside, unless `outside` says otherwise.
    """

    args: Callable[[World, object, bool], list] = _none
    get: dict[str, int] | None = None
    post: dict[str, int] | None = None
    scoped: bool = False
    outside: dict[str, int] = field(default_factory=dict)

    def expected(self, method: str, who: str, inside: bool) -> int:
        status = (self.get if method == "GET" else self.post)[who]
        if inside or who == "anonymous":
            return status
        if who in self.outside:
            return self.outside[who]
        return 404 if who in ("liaison", "area_staff", "evaluator") else status


def _near_duplicate(side: Side) -> int:
    """A pair of the side's ASM flagged as near-duplicates."""
    from mejora.search.models import NearDuplicate

    other = AspectFactory(program=side.program)
    first, second = sorted((side.aspect.pk, other.pk))
    return NearDuplicate.objects.create(aspect_id=first, other_id=second, similarity=97.0).pk


def _recommendation(side: Side) -> int:
    """A recommendation of the side's evaluation, accepted."""
    return side.evaluation.recommendations.create(
        text="Actualizar el diagnóstico", position="attended"
    ).pk


# The upload pages: only who imports, only their own upload (someone else's is not there).
IMPORT_OUTSIDE = {
    "liaison": 404,
    "evaluator": 404,
    "administrator": 404,
    "area_staff": 403,
    "oversight": 403,
}

PAGES: dict[str, Page] = {
    # A person who reaches one program is taken straight to it.
    "home": Page(get=answers(302, 302, 302, 200, 200)),
    "program-detail": Page(_of("program"), get=EVERYONE, scoped=True),
    # An annex is the whole program's: area staff, who see only their area's activities,
    # may not read it.
    "annex-page": Page(_of("program", "anexo-e"), get=WHOLE_PROGRAM, scoped=True),
    "annex-download": Page(_of("program", "anexo-e", "csv"), get=WHOLE_PROGRAM, scoped=True),
    # Sending a program's reports: those who capture; nothing editable → back to the page.
    "program-submit": Page(_of("program"), post=answers(302, 302, 403, 403, 302), scoped=True),
    "activity-detail": Page(_of("activity"), get=EVERYONE, scoped=True),
    # An empty progress or replanning form is refused (422) to those who may capture.
    "activity-progress": Page(_of("activity"), post=answers(422, 422, 403, 403, 422), scoped=True),
    "activity-replan": Page(_of("activity"), post=answers(422, 422, 403, 403, 422), scoped=True),
    # The report was already sent: sending it again is refused.
    "activity-submit": Page(_of("activity"), post=answers(422, 422, 403, 403, 422), scoped=True),
    "review-queue": Page(get=answers(403, 403, 200, 403, 200)),
    # No decision given: 400 to the reviewers; the others may read the report, not decide.
    "review-decide": Page(_of("report"), post=answers(403, 403, 400, 403, 400), scoped=True),
    "cut-list": Page(get=ADMINISTRATORS, post=answers(403, 403, 403, 403, 422)),
    "cut-close": Page(lambda w, u, i: [w.cut.pk], post=answers(403, 403, 403, 403, 302)),
    "pending": Page(get=EVERYONE),
    # Everyone reads the figures of what they reach (the scope narrows them, never refuses).
    "dashboard": Page(get=EVERYONE),
    "dashboard-activities": Page(get=EVERYONE),
    "dashboard-overdue": Page(get=EVERYONE),
    # The balance answers everyone, each over the ASM within their reach.
    "balance": Page(get=EVERYONE),
    "balance-download": Page(_fixed("xlsx"), get=EVERYONE),
    # Search answers everyone, each within their reach (tests/web/test_search_pages.py).
    "search": Page(get=EVERYONE),
    # Near-duplicate ASM are the evaluation unit's to link; a click without a kind is refused.
    "near-duplicates": Page(get=answers(403, 403, 200, 403, 200)),
    "near-duplicate-link": Page(
        lambda w, u, i: [_near_duplicate(w.inside if i else w.outside)],
        post=answers(403, 403, 422, 403, 422),
        scoped=True,
        outside={"liaison": 403, "area_staff": 403},
    ),
    # Each person's own notice preferences; an empty form is refused (no language chosen).
    "notice-preferences": Page(get=EVERYONE, post=answers(422, 422, 422, 422, 422)),
    "import-upload": Page(
        get=answers(200, 403, 200, 403, 200), post=answers(200, 403, 200, 403, 200)
    ),
    "import-review": Page(
        _import_token(),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
        outside=IMPORT_OUTSIDE,
    ),
    "import-progress": Page(
        _import_token(read=True),
        get=answers(200, 403, 200, 403, 200),
        scoped=True,
        outside=IMPORT_OUTSIDE,
    ),
    "import-reading": Page(
        _import_token(read=True),
        get=answers(200, 403, 200, 403, 200),
        scoped=True,
        outside=IMPORT_OUTSIDE,
    ),
    # The image of a scanned cell: a finding of a typed file has none (404 to those who may
    # see the upload; tests/followup/test_scan_import.py shows one that has).
    "import-cell-image": Page(
        lambda world, user, inside: [*_import_token(read=True)(world, user, inside), 0],
        get=answers(404, 403, 404, 403, 404),
        scoped=True,
        outside=IMPORT_OUTSIDE,
    ),
    "evidence-download": Page(_of("evidence"), get=EVERYONE, scoped=True),
    "commitments-program": Page(_of("program"), get=WHOLE_PROGRAM, scoped=True),
    # Registering: the liaison, the institution's evaluation unit and the administrator; an
    # empty form is shown again with its errors.
    "commitments-evaluation-new": Page(
        _of("program"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-aspect-new": Page(
        _of("program"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-recommendation-new": Page(
        _of("evaluation"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-aspect-edit": Page(
        _of("aspect"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-aspect-relate": Page(
        _of("aspect"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-activity-new": Page(
        _of("aspect"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-activity-edit": Page(
        _of("activity"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "commitments-due-reading": Page(get=EVERYONE),
    # The institutional position is the whole program's, like its commitments; who registers
    # them edits it, and an empty form is shown again with its errors.
    "position-detail": Page(_of("evaluation"), get=WHOLE_PROGRAM, scoped=True),
    "position-download": Page(_of("evaluation", "docx"), get=WHOLE_PROGRAM, scoped=True),
    "position-edit": Page(
        _of("evaluation"),
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    "position-recommendation-edit": Page(
        lambda w, u, i: [_recommendation(w.inside if i else w.outside)],
        get=answers(200, 403, 200, 403, 200),
        post=answers(200, 403, 200, 403, 200),
        scoped=True,
    ),
    # The people pages are an administrator's; non-administrators are refused before any
    # person is looked up, so a 403 says nothing about who exists.
    "people": Page(get=ADMINISTRATORS),
    "person-invite": Page(get=ADMINISTRATORS, post=ADMINISTRATORS),
    "person-detail": Page(lambda w, u, i: [w.person.pk], get=ADMINISTRATORS, post=ADMINISTRATORS),
    "person-deactivate": Page(lambda w, u, i: [w.person.pk], post=answers(403, 403, 403, 403, 302)),
    "invitation-resend": Page(lambda w, u, i: [w.person.pk], post=answers(403, 403, 403, 403, 302)),
    "membership-edit": Page(
        lambda w, u, i: [w.membership.pk], get=ADMINISTRATORS, post=ADMINISTRATORS
    ),
    "membership-remove": Page(
        lambda w, u, i: [w.membership.pk], post=answers(403, 403, 403, 403, 302)
    ),
    # Public: signing in and out and choosing a password (a bad link says so, with 200).
    "login": Page(get=PUBLIC, post=PUBLIC),
    "logout": Page(post=answers(302, 302, 302, 302, 302, anonymous=302)),
    "invitation-confirm": Page(_fixed("MQ", "no-es-un-token"), get=PUBLIC),
    "invitation-complete": Page(get=PUBLIC),
    "password-reset": Page(get=PUBLIC, post=PUBLIC),
    "password-reset-sent": Page(get=PUBLIC),
    "password-reset-confirm": Page(_fixed("MQ", "no-es-un-token"), get=PUBLIC),
    "password-reset-complete": Page(get=PUBLIC),
}


def _named_patterns(patterns, skip=("admin",)) -> set[str]:
    """The names of every URL pattern under these, through every include but the skipped."""
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in skip or pattern.app_name in skip:
                continue
            names |= _named_patterns(pattern.url_patterns, skip)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_page_has_an_entry():
    names = _named_patterns(get_resolver().url_patterns)
    missing = sorted(names - PAGES.keys())
    assert not missing, f"URL patterns without an entry in the authorization matrix: {missing}"
    gone = sorted(PAGES.keys() - names)
    assert not gone, f"Entries in the authorization matrix for URLs that no longer exist: {gone}"


def test_a_new_page_is_found_through_any_include_and_the_admin_is_left_out():
    def view(request):
        raise AssertionError("never called")

    extra = [path("nuevo/", include([path("pagina/", view, name="pagina-nueva")]))]
    names = _named_patterns([*get_resolver().url_patterns, *extra])
    assert names - PAGES.keys() == {"pagina-nueva"}
    assert "index" not in names  # the admin's own, tested in test_admin.py


def test_every_entry_says_how_to_reach_it():
    for name, page in PAGES.items():
        assert page.get or page.post, name
        for answers_ in filter(None, (page.get, page.post)):
            assert set(answers_) == set(WHO), name


CASES = [
    pytest.param(name, method, id=f"{name}-{method}")
    for name, page in PAGES.items()
    for method, table in (("GET", page.get), ("POST", page.post))
    if table
]


@pytest.mark.parametrize(("name", "method"), CASES)
def test_each_role_gets_its_answer_inside_and_outside_its_scope(world, name, method):
    """One world for all roles: only the last roles to ask (administrator, anonymous) are
    let write, so no earlier answer depends on a later one."""
    page = PAGES[name]
    got: dict[str, int] = {}
    wanted: dict[str, int] = {}
    for who in WHO:
        client = Client()
        user = world.personas.get(who)
        if user is not None:
            client.force_login(user)
        for inside in (True, False) if page.scoped else (True,):
            case = f"{who} {'inside' if inside else 'outside'}"
            url = reverse(name, args=page.args(world, user, inside))
            response = client.get(url) if method == "GET" else client.post(url)
            got[case] = response.status_code
            wanted[case] = page.expected(method, who, inside)
            if who == "anonymous" and response.status_code == LOGIN:
                assert response.url.startswith(reverse("login")), url
    assert got == wanted, f"{method} {name}"


# Area staff reach the activities their area coordinates or carries out, not their program's
# others: a sibling activity of the same program is outside their scope (404), while the
# program's liaison reaches it like any other.
SIBLING_PAGES = {
    "activity-detail": ("GET", "activity"),
    "activity-progress": ("POST", "activity"),
    "activity-replan": ("POST", "activity"),
    "activity-submit": ("POST", "activity"),
    "commitments-activity-edit": ("GET", "activity"),
    "review-decide": ("POST", "report"),
    "evidence-download": ("GET", "evidence"),
}


@pytest.mark.parametrize("name", SIBLING_PAGES)
def test_area_staff_do_not_reach_their_programs_other_activities(client, world, name):
    method, thing = SIBLING_PAGES[name]
    sibling = ActivityFactory(aspect=world.inside.aspect)
    liaison = world.personas["liaison"]
    report = ProgressReportFactory(
        activity=sibling, cut=world.cut, state=ProgressReport.State.DRAFT
    )
    evidence = evidence_add(
        report=report, actor=liaison, file=SimpleUploadedFile("acta.pdf", b"%PDF-1.4 acta")
    )
    pk = {"activity": sibling.pk, "report": report.pk, "evidence": evidence.pk}[thing]
    url = reverse(name, args=[pk])
    answers_ = {}
    for who in ("area_staff", "liaison"):
        client.force_login(world.personas[who])
        response = client.get(url) if method == "GET" else client.post(url)
        answers_[who] = response.status_code
    # The liaison reaches it and may act on it, but for deciding a review (a 403).
    assert answers_["area_staff"] == 404, answers_
    if name == "review-decide":
        assert answers_["liaison"] == 403, answers_
    else:
        assert answers_["liaison"] in (200, 302, 400, 422), answers_
