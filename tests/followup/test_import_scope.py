"""Who may import an annex into which program, generated over every role and every target.

The same rule answers through the service, the command line (`--user`) and the pages: a
liaison imports only into their own program, an evaluation unit only into programs of its
institution (where it may create one), only an administrator of everything creates an
institution; a refusal writes nothing and reads the same whether or not the target exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mejora.accounts.access import import_scope_for
from mejora.accounts.models import Role
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render
from mejora.cli import EXIT_OK, EXIT_REJECTED, main
from mejora.followup.models import Area, Cut, Institution, Program
from mejora.followup.scope import ImportRefused
from mejora.followup.services.imports import annex_import, annex_read, file_sha256
from tests.factories import (
    AreaFactory,
    CutFactory,
    InstitutionFactory,
    ProgramFactory,
    UserFactory,
    member,
)
from tests.followup.test_import import dump

pytestmark = pytest.mark.django_db

# Where an annex may point, relative to the person's own program P1 of institution I1.
TARGETS = ("own_program", "sibling_program", "new_program", "foreign_program", "new_institution")

# Who may import where; every role of Role is here, so a new role fails until it is decided.
ALLOWED = {
    "liaison": {"own_program"},
    "area_staff": set(),
    "evaluator": {"own_program", "sibling_program", "new_program"},
    "evaluator_everywhere": {"own_program", "sibling_program", "new_program", "foreign_program"},
    "oversight": set(),
    "administrator_of_institution": {"own_program", "sibling_program", "new_program"},
    "administrator": set(TARGETS),
    "superuser": set(TARGETS),
}


@pytest.fixture
def world():
    """Two institutions with their programs and areas: the person's side and another."""
    # The sample annex's cut, open: a liaison's import is sent for review, so only there.
    CutFactory(date=dt.date(2012, 3, 31), name="marzo 2012", state=Cut.State.OPEN)
    own = InstitutionFactory(name="Secretaría Propia")
    foreign = InstitutionFactory(name="Secretaría Ajena")
    return {
        "own": own,
        "foreign": foreign,
        "P1": ProgramFactory(institution=own, name="Programa Propio"),
        "P2": ProgramFactory(institution=own, name="Programa Hermano"),
        "F1": ProgramFactory(institution=foreign, name="Programa Ajeno"),
        "area": AreaFactory(institution=own),
    }


def person(kind: str, world) -> object:
    match kind:
        case "liaison":
            return member(Role.LIAISON, program=world["P1"])
        case "area_staff":
            return member(Role.AREA_STAFF, area=world["area"])
        case "evaluator":
            return member(Role.EVALUATOR, institution=world["own"])
        case "evaluator_everywhere":
            return member(Role.EVALUATOR)
        case "oversight":
            return member(Role.OVERSIGHT)
        case "administrator_of_institution":
            return member(Role.ADMINISTRATOR, institution=world["own"])
        case "administrator":
            return member(Role.ADMINISTRATOR)
        case "superuser":
            return UserFactory(username="raiz", is_superuser=True, is_staff=True)
    raise AssertionError(kind)


def annex_for(target: str, seed_bytes: bytes) -> bytes:
    """The sample annex retitled to name the target's institution and program."""
    names = {
        "own_program": ("Secretaría Propia", "Programa Propio"),
        "sibling_program": ("Secretaría Propia", "Programa Hermano"),
        "new_program": ("Secretaría Propia", "Programa Nuevo"),
        "foreign_program": ("Secretaría Ajena", "Programa Ajeno"),
        "new_institution": ("Secretaría Inexistente", "Programa Inexistente"),
    }[target]
    document = replace(parse_text(seed_bytes), institution=names[0], program=names[1])
    return render(document, "txt")


CASES = [(kind, target) for kind in ALLOWED for target in TARGETS]


@pytest.mark.parametrize(("kind", "target"), CASES)
def test_the_service_keeps_every_role_to_its_scope(kind, target, world, seed_bytes):
    user = person(kind, world)
    data = annex_for(target, seed_bytes)
    before = dump()
    scope = import_scope_for(user)
    if target in ALLOWED[kind]:
        document = annex_read(data, scope=scope)
        summary = annex_import(
            document=document,
            file_name="a.txt",
            sha256=file_sha256(data),
            file_format="txt",
            actor=user,
            scope=scope,
        )
        assert summary.program.name == document.program
        assert summary.program.aspects.count() == 9
    else:
        with pytest.raises(ImportRefused) as refusal:
            annex_read(data, scope=scope)
        assert "no puede importar" in str(refusal.value)
        assert dump() == before


@pytest.mark.parametrize("kind", ["liaison", "evaluator"])
def test_the_import_itself_refuses_a_document_read_for_someone_else(kind, world, seed_bytes):
    """A reading made with a wider scope is still checked where it is written."""
    user = person(kind, world)
    document = annex_read(annex_for("foreign_program", seed_bytes))
    before = dump()
    with pytest.raises(ImportRefused):
        annex_import(
            document=document,
            file_name="a.txt",
            sha256="0" * 64,
            file_format="txt",
            actor=user,
            scope=import_scope_for(user),
        )
    assert dump() == before


def test_a_persons_import_without_a_scope_is_a_programming_error(world, seed_bytes):
    document = annex_read(annex_for("own_program", seed_bytes))
    with pytest.raises(TypeError):
        annex_import(
            document=document, file_name="a", sha256="0" * 64, file_format="txt", actor=object()
        )


def test_a_refusal_says_nothing_of_what_exists_elsewhere(world, seed_bytes):
    """Naming a real program of another institution reads exactly like naming none."""
    scope = import_scope_for(person("liaison", world))
    messages = []
    for institution, program in [
        ("Secretaría Ajena", "Programa Ajeno"),  # exists
        ("Secretaría Ajena", "Programa Que No Existe"),
    ]:
        document = replace(parse_text(seed_bytes), institution=institution, program=program)
        with pytest.raises(ImportRefused) as refusal:
            annex_read(render(document, "txt"), scope=scope)
        messages.append(str(refusal.value).replace(program, "…"))
    assert messages[0] == messages[1]
    assert "Programa Propio" in messages[0]  # what the person may do instead


def test_a_refused_reading_consults_no_catalogue_of_the_other_institution(
    world, seed_bytes, monkeypatch
):
    from mejora.followup.services import imports

    consulted = []
    monkeypatch.setattr(imports, "catalogue_for", lambda i: consulted.append(i) or None)
    scope = import_scope_for(person("liaison", world))
    with pytest.raises(ImportRefused):
        annex_read(annex_for("foreign_program", seed_bytes), scope=scope)
    assert consulted == []


@pytest.fixture
def annex_files(tmp_path: Path, seed_bytes):
    def write(target: str) -> Path:
        path = tmp_path / f"{target}.txt"
        path.write_bytes(annex_for(target, seed_bytes))
        return path

    return write


@pytest.mark.parametrize(("kind", "target"), CASES)
def test_the_command_line_keeps_the_same_rule(kind, target, world, annex_files, capsys):
    user = person(kind, world)
    before = dump()
    code = main(["import", str(annex_files(target)), "--user", user.username])
    err = capsys.readouterr().err
    if target in ALLOWED[kind]:
        assert code == EXIT_OK, err
        assert Program.objects.filter(aspects__isnull=False).distinct().count() == 1
    else:
        assert code == EXIT_REJECTED
        assert "no puede importar" in err and "No se escribió nada" in err
        assert dump() == before


def test_the_command_line_refuses_an_unknown_person(world, annex_files, capsys):
    code = main(["import", str(annex_files("own_program")), "--user", "nadie"])
    assert code == EXIT_REJECTED
    assert "No hay una cuenta activa con el usuario «nadie»" in capsys.readouterr().err


def test_the_operator_at_the_command_line_may_create_an_institution(world, annex_files):
    assert main(["import", str(annex_files("new_institution"))]) == EXIT_OK
    assert Institution.objects.filter(name="Secretaría Inexistente").exists()


@pytest.fixture
def inline_jobs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The reading runs inside the request: the page's answer is the subject here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db(databases=["default", "tasks"])
@pytest.mark.parametrize(
    ("kind", "target"), [case for case in CASES if case[0] not in ("area_staff", "oversight")]
)
def test_the_pages_keep_the_same_rule(client, kind, target, world, seed_bytes, inline_jobs):
    user = person(kind, world)
    client.force_login(user)
    upload = SimpleUploadedFile(f"{target}.txt", annex_for(target, seed_bytes))
    review_url = client.post(reverse("import-upload"), {"file": upload}).url
    areas_before = set(Area.objects.values_list("pk", flat=True))
    page = client.get(review_url)
    text = page.content.decode()
    if target in ALLOWED[kind]:
        assert page.status_code == 200
        assert "Se leyeron 9 ASM y 20 actividades" in text
    else:
        # Refused before anything of the file is shown: no reading, no catalogue, no preview.
        assert page.status_code == 422
        assert "no puede importar" in text
        assert "Se leyeron" not in text and "DGEMPS" not in text
        token = review_url.strip("/").split("/")[-1]
        assert client.get(reverse("import-reading", args=[token])).status_code == 404
        assert client.post(review_url, {"stamp": "x", "confirmo_todo": "on"}).status_code == 422
    assert set(Area.objects.values_list("pk", flat=True)) == areas_before
