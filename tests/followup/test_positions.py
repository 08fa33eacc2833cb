"""The institutional position (Anexo F) in the record: typed, imported, issued, and counted."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mejora.accounts.models import Role
from mejora.annex.document import AnnexRejected
from mejora.annex.parsers.position import parse_position
from mejora.annex.position import Acceptance, PositionCounts, Signatory
from mejora.annex.renderers.position import render_position, render_position_text
from mejora.followup.models import (
    Aspect,
    ChangeRecord,
    Classification,
    Evaluation,
    Recommendation,
)
from mejora.followup.scope import ImportRefused, ImportScope
from mejora.followup.services.commitments import StaleVersion
from mejora.followup.services.positions import (
    position_document,
    position_import,
    position_update,
    recommendation_update,
)
from tests.annex.test_position import position_document as filed_document
from tests.factories import AspectFactory, InstitutionFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation():
    institution = InstitutionFactory(name="Secretaría de Desarrollo Social")
    program = ProgramFactory(
        institution=institution, name="Programa Opciones Productivas", key="S054"
    )
    evaluation = Evaluation.objects.create(
        program=program, kind="Evaluación de Consistencia y Resultados", year=2011
    )
    for number, classification, priority in (
        ("1", Classification.SPECIFIC, Aspect.Priority.HIGH),
        ("2", Classification.INSTITUTIONAL, Aspect.Priority.MEDIUM),
    ):
        AspectFactory(
            program=program,
            evaluation=evaluation,
            number=number,
            classification=classification,
            priority=priority,
        )
    return evaluation


@pytest.fixture
def liaison(evaluation):
    return member(Role.LIAISON, program=evaluation.program)


def typed(evaluation, liaison, **changes):
    values = {
        "evaluation": evaluation,
        "general": "La evaluación fue útil.\n\nSus hallazgos son pertinentes.",
        "specific": "Se revisaron con las áreas.",
        "sources": "Informe final\n  Reglas de Operación 2012  \n",
        "units": "DGOP\nDGEMPS",
        "signatories": [Signatory("Juan Pérez", "Director General"), Signatory("", "")],
        "seen_version": evaluation.position_version,
        "actor": liaison,
    }
    return position_update(**(values | changes))


def test_typed_position_is_kept_line_by_line_with_its_history(evaluation, liaison):
    saved = typed(evaluation, liaison)
    assert saved.position_general == "La evaluación fue útil.\nSus hallazgos son pertinentes."
    assert saved.position_sources == "Informe final\nReglas de Operación 2012"
    assert saved.position_signatories == [{"name": "Juan Pérez", "post": "Director General"}]
    change = ChangeRecord.objects.get(model="followup.Evaluation", object_id=str(evaluation.pk))
    assert change.actor == liaison and change.before["position_general"] == ""


def test_a_save_over_someone_else_s_is_refused_and_nothing_written(evaluation, liaison):
    typed(evaluation, liaison)
    with pytest.raises(StaleVersion):
        typed(evaluation, liaison, general="Otra cosa", seen_version=1)
    evaluation.refresh_from_db()
    assert evaluation.position_general.startswith("La evaluación")


def test_a_signatory_without_a_name_is_refused(evaluation, liaison):
    with pytest.raises(ValidationError, match="necesita su nombre"):
        typed(evaluation, liaison, signatories=[Signatory("", "Titular")])


def test_a_reader_may_not_type_the_position(evaluation):
    reader = member(Role.OVERSIGHT)
    with pytest.raises(PermissionDenied):
        typed(evaluation, reader)


def test_the_counts_issued_are_the_record_s(evaluation, liaison):
    doc = position_document(evaluation)
    assert doc.counts == PositionCounts(
        specific=1, institutional=1, interinstitutional=0, intergovernmental=0, total=2,
        high=1, medium=1, low=0,
    )  # fmt: skip
    assert [a.classification for a in doc.aspects] == ["Específico", "Institucional"]


def test_an_imported_anexo_f_loads_into_its_evaluation_and_issues_the_same(evaluation, liaison):
    filed = filed_document()
    summary = position_import(
        document=parse_position(render_position(filed, "txt"), "txt"),
        file_name="anexo-f.txt",
        actor=liaison,
        scope=ImportScope(programs=frozenset({evaluation.program.pk})),
    )
    assert summary.evaluation == evaluation
    assert summary.findings == ()
    recommendations = list(evaluation.recommendations.all())
    assert [r.position for r in recommendations] == ["attended", "partial", "not_attended"]
    assert [r.reason for r in recommendations] == [e.comment for e in filed.recommendations]
    evaluation.refresh_from_db()
    issued = position_document(evaluation)
    assert issued.recommendations == filed.recommendations
    assert issued.discarded == filed.discarded
    assert (issued.sources, issued.units, issued.signatories) == (
        filed.sources, filed.units, filed.signatories,
    )  # fmt: skip
    # Issued from the record and read back: the same document.
    for file_format in ("txt", "docx"):
        assert parse_position(render_position(issued, file_format), file_format) == issued
    # Importing it again changes nothing.
    again = position_import(
        document=parse_position(render_position(filed, "txt"), "txt"), file_name="anexo-f.txt"
    )
    assert (again.created, again.updated) == (0, 0)


def test_stated_counts_that_disagree_with_the_record_are_findings(evaluation):
    text = render_position_text(filed_document())
    text = text.replace("Institucionales\t1", "Institucionales\t4")
    summary = position_import(document=parse_position(text.encode(), "txt"), file_name="f.txt")
    texts = [f.text for f in summary.findings]
    assert "El anexo dice 4 ASM institucionales, pero su lista de ASM da 1." in texts
    assert (
        "El anexo dice 4 ASM institucionales, pero el registro de los ASM de esa evaluación "
        "da 1." in texts
    )


def test_an_anexo_f_of_an_unknown_evaluation_registers_it(evaluation):
    text = render_position_text(filed_document()).replace(
        "Evaluación de Consistencia y Resultados 2011", "Evaluación de Procesos 2012"
    )
    summary = position_import(document=parse_position(text.encode(), "txt"), file_name="f.txt")
    assert (summary.evaluation.kind, summary.evaluation.year) == ("Evaluación de Procesos", 2012)
    assert summary.evaluation.program == evaluation.program


def test_an_anexo_f_of_a_program_outside_the_scope_writes_nothing(evaluation):
    other = member(Role.LIAISON, program=ProgramFactory())
    with pytest.raises(ImportRefused):
        position_import(
            document=filed_document(),
            file_name="f.txt",
            actor=other,
            scope=ImportScope(programs=frozenset({other.memberships.get().program_id})),
        )
    assert not Recommendation.objects.exists()


def test_an_anexo_f_of_an_unknown_program_is_rejected(evaluation):
    text = render_position_text(filed_document()).replace("S054 Programa", "S999 Programa")
    with pytest.raises(AnnexRejected, match="no está en el registro"):
        position_import(document=parse_position(text.encode(), "txt"), file_name="f.txt")


def test_a_recommendation_s_position_is_edited_with_its_history(evaluation, liaison):
    recommendation = Recommendation.objects.create(
        evaluation=evaluation, text="Actualizar el diagnóstico", position="attended"
    )
    recommendation_update(
        recommendation=recommendation,
        text="Actualizar el diagnóstico",
        position=Recommendation.Position.PARTIAL,
        reason="Sólo una parte",
        actor=liaison,
    )
    recommendation.refresh_from_db()
    assert recommendation.position == "partial"
    assert ChangeRecord.objects.filter(model="followup.Recommendation").count() == 1
    assert position_document(evaluation).recommendations[0].accepted is Acceptance.PARTIAL
