"""The annex letters as state filings show them, read whatever letter an older file carries.

Annexes issued before the letters were settled carried C and D swapped (and the columns of
the seed's Anexo E for all four kinds): they are made here by rendering with those old
formats, and read back by their title into the right kind, with a finding.
"""

from __future__ import annotations

import dataclasses

import pytest

from mejora.annex.document import Signatory
from mejora.annex.formats import (
    FORMATS,
    AnnexFormat,
    annex_kind,
    match_header,
    read_annex_line,
    read_signatory_line,
    split_program,
)
from mejora.annex.parsers import parse
from mejora.annex.parsers.rows import split_preamble
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render
from mejora.annex.synth import synth_document


@pytest.mark.parametrize(
    ("letter", "code", "name", "classification"),
    [
        ("B", "documento-trabajo", "Documento de trabajo", "especifico"),
        ("C", "avance-documento-trabajo", "Avance del documento de trabajo", "especifico"),
        ("D", "documento-institucional", "Documento institucional", "institucional"),
        ("E", "anexo-e", "Avance al documento institucional", "institucional"),
    ],
)
def test_each_letter_is_the_document_state_filings_give_it(letter, code, name, classification):
    annex = FORMATS[code]
    assert (annex.letter, annex.name, annex.classification) == (letter, name, classification)
    assert annex_kind(f"anexo-{letter.lower()}") == code
    assert annex_kind(f"Anexo {letter}") == code
    assert annex_kind(code) == code


def test_an_unknown_kind_is_none():
    assert annex_kind("anexo-f") is None
    assert annex_kind("anexo-z") is None


@pytest.mark.parametrize(
    ("code", "headings"),
    [
        (
            "documento-trabajo",
            "No. | Aspecto Susceptible de Mejora | Actividades | Área Responsable | "
            "Fecha de Término | Resultados Esperados | Productos y/o Evidencias",
        ),
        (
            "avance-documento-trabajo",
            "No. | Aspecto Susceptible de Mejora | Actividades | Área Responsable | "
            "Fecha de Término | Resultados Esperados | Productos y/o Evidencias | % Avance | "
            "Identificación del documento probatorio | Observaciones",
        ),
        (
            "documento-institucional",
            "Núm. Consc. | Aspecto Susceptible de Mejora | Área Coordinadora | "
            "Acciones a emprender | Área Responsable | Fecha de Término | Resultados Esperados | "
            "Productos y/o evidencias",
        ),
    ],
)
def test_the_columns_are_the_filings_letter_for_letter(code, headings):
    assert " | ".join(FORMATS[code].headings()) == headings


# Spellings agencies use for the same header, and the kind each header reads as, with no
# finding about a renamed column.
HEADERS = [
    pytest.param(
        ["Núm. Consc.", "Aspecto Susceptible de Mejora", "Actividades", "Área Responsable",
         "Fecha de Término", "Resultados Esperados", "Productos y/o Evidencias"],
        "documento-trabajo", id="work-with-num-consc",
    ),
    pytest.param(
        ["No.", "Aspecto Susceptible de Mejora", "Actividades", "Área Responsable",
         "Fecha de Término", "Resultados Esperados", "Productos y/o Evidencias",
         "Porcentaje de avance", "Identificación del documento probatorio", "Observaciones"],
        "avance-documento-trabajo", id="progress-as-porcentaje",
    ),
    pytest.param(
        ["Núm.\nConsc.", "Aspecto\nSusceptible\nde Mejora", "Área\nCoordinadora",
         "Acciones\na\nemprender", "Área\nResponsable", "Fecha\nde\nTérmino",
         "Resultados\nEsperados", "Productos\ny/o\nevidencias"],
        "documento-institucional", id="split-over-lines",
    ),
    pytest.param(
        ["N\nú\nm\n.\nC\no\nn\ns\nc\n.", "Aspecto Susceptible de Mejora",
         "Á\nr\ne\na\nC\no\no\nr\nd\ni\nn\na\nd\no\nr\na", "Acciones a emprender",
         "Á\nr\ne\na\nR\ne\ns\np\no\nn\ns\na\nb\nl\ne", "F\ne\nc\nh\na\nd\ne\nT\né\nr\nm\ni\nn\no",
         "Resultados Esperados", "Productos y/o evidencias"],
        "documento-institucional", id="printed-vertically",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("cells", "code"), HEADERS)
def test_a_header_is_read_by_name_however_it_is_spelt_or_printed(cells, code):
    match = match_header(cells)
    assert match is not None and match.annex.code == code
    assert match.differences() == []


def test_a_column_read_by_close_spelling_is_still_a_finding():
    cells = list(FORMATS["documento-institucional"].headings())
    cells[6] = "Resultado esperado"
    match = match_header(cells)
    assert match is not None
    assert match.differences() == [
        "La columna «Resultado esperado» se leyó como «Resultados Esperados»."
    ]


@pytest.mark.parametrize(
    ("line", "code", "corrected"),
    [
        ("Anexo B. Documento de trabajo", "documento-trabajo", False),
        ("Anexo C. Avance del documento de trabajo", "avance-documento-trabajo", False),
        ("Anexo D. Avance del documento de trabajo", "avance-documento-trabajo", True),
        ("ANEXO D. DOCUMENTO INSTITUCIONAL", "documento-institucional", False),
        ("Anexo C. Documento institucional", "documento-institucional", True),
        ("Anexo C.- Avance al documento de trabajo.", "avance-documento-trabajo", False),
        ("Anexo E. Avance al documento institucional", "anexo-e", False),
        ("Anexo E", "anexo-e", False),
    ],
)
def test_an_annex_line_is_read_by_its_title_whatever_its_letter(line, code, corrected):
    named = read_annex_line(line)
    assert named is not None
    assert (named.annex.code, named.letter_corrected) == (code, corrected)


# The formats annexes were issued in before the letters were settled: C and D swapped, and
# the seed's Anexo E columns for the other kinds (the working documents without the
# coordinating area).
_E = FORMATS["anexo-e"].columns
_OLD_COMMITMENTS = _E[:8]
_OLD_WORK = tuple(c for c in _OLD_COMMITMENTS if c.key != "coordinating")
OLD = {
    "documento-institucional": ("C", _OLD_COMMITMENTS),
    "avance-documento-trabajo": ("D", _OLD_WORK + _E[8:]),
    "documento-trabajo": ("B", _OLD_WORK),
}


def old_format(code: str) -> AnnexFormat:
    letter, columns = OLD[code]
    return dataclasses.replace(FORMATS[code], letter=letter, columns=columns)


@pytest.fixture(scope="module")
def old_files() -> dict[tuple[str, str], tuple[object, bytes]]:
    """Each kind issued in its old format, in every readable format: (document, file)."""
    files = {}
    with pytest.MonkeyPatch.context() as patch:
        for code in OLD:
            old = old_format(code)
            patch.setitem(FORMATS, code, old)
            document = synth_document(aspects=4, seed=9, kind=code)
            document = dataclasses.replace(document, annex=old.annex_line)
            for file_format in ("txt", "csv", "xlsx", "docx", "pdf"):
                files[code, file_format] = (document, render(document, file_format))
    return files


@pytest.mark.parametrize("file_format", ["txt", "csv", "xlsx", "docx", "pdf"])
@pytest.mark.parametrize("code", list(OLD))
def test_a_file_with_the_old_letters_reads_into_the_right_kind(old_files, code, file_format):
    written, data = old_files[code, file_format]
    read = parse(data, file_format)

    assert read.kind == code
    assert read.annex == FORMATS[code].annex_line
    assert read.sections == written.sections
    corrected = [f for f in read.findings if f.kind == "letter_corrected"]
    if OLD[code][0] == FORMATS[code].letter:
        assert not corrected
    else:
        assert [f.text for f in corrected] == [
            f"El archivo titula «{written.annex}»: ese documento es el Anexo "
            f"{FORMATS[code].letter}; se corrigió la letra (los anexos emitidos antes de este "
            "cambio llevaban C y D intercambiadas)."
        ]


def test_the_seed_keeps_its_letter_and_has_no_correction(seed_text):
    document = parse_text(seed_text)
    assert document.annex == "Anexo E. Avance al documento institucional"
    assert not [f for f in document.findings if f.kind == "letter_corrected"]


@pytest.fixture
def seed_text():
    from pathlib import Path

    root = Path(__file__).parents[2]
    return (root / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt").read_text()


PREAMBLES = [
    pytest.param(
        ["TÍTULO", "Secretaría de Desarrollo Social", "Programa Opciones Productivas",
         "Anexo E. Avance al documento institucional"],
        ("TÍTULO", "Secretaría de Desarrollo Social", "Programa Opciones Productivas", ""),
        id="the-seeds-bare-lines",
    ),
    pytest.param(
        ["Anexo B. Documento de trabajo",
         "Nombre de la Dependencia/Entidad: Universidad Autónoma de Campeche",
         "Nombre del programa: 107 Educación Superior"],
        ("", "Universidad Autónoma de Campeche", "Educación Superior", "107"),
        id="labelled-after-the-annex-line",
    ),
    pytest.param(
        ["SEGUIMIENTO", "Nombre del Programa: S054 Opciones Productivas",
         "NOMBRE DE LA DEPENDENCIA/ENTIDAD:  Secretaría de Bienestar",
         "Anexo D. Documento institucional"],
        ("SEGUIMIENTO", "Secretaría de Bienestar", "Opciones Productivas", "S054"),
        id="labelled-in-any-order-and-case",
    ),
    pytest.param(
        ["TÍTULO", "Nombre de la Dependencia: Secretaría de Salud",
         "Programa de Vacunación Universal", "Anexo B. Documento de trabajo"],
        ("TÍTULO", "Secretaría de Salud", "Programa de Vacunación Universal", ""),
        id="one-labelled-one-bare",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("lines", "expected"), PREAMBLES)
def test_the_title_block_names_the_institution_and_the_program(lines, expected):
    preamble = split_preamble(lines)
    assert (preamble.title, preamble.institution, preamble.program, preamble.program_key) == (
        expected
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("107 Educación Superior", ("107", "Educación Superior")),
        ("S054 Opciones Productivas", ("S054", "Opciones Productivas")),
        ("E001 - Prestación de servicios", ("E001", "Prestación de servicios")),
        ("Programa Opciones Productivas", ("", "Programa Opciones Productivas")),
        ("3x1 para Migrantes", ("", "3x1 para Migrantes")),
    ],
)
def test_a_program_key_is_read_before_its_name(value, expected):
    assert split_program(value) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Responsable del programa: Lic. Ana Ruiz, Directora General",
            Signatory("responsable", "Lic. Ana Ruiz", "Directora General"),
        ),
        (
            "Enlace de Evaluación: Mtro. Luis Paz, Jefe de Departamento de Evaluación, SEDUC",
            Signatory("enlace", "Mtro. Luis Paz", "Jefe de Departamento de Evaluación, SEDUC"),
        ),
        (
            "TITULAR DE LA DEPENDENCIA/ENTIDAD: Dr. José Sosa",
            Signatory("titular", "Dr. José Sosa"),
        ),
        ("Observaciones: sin cambios", None),
        ("Responsable del programa:", None),
    ],
)
def test_a_signatory_line_gives_role_name_and_post(line, expected):
    assert read_signatory_line(line) == expected


def test_a_file_with_no_title_line_for_the_institution_is_still_refused():
    from mejora.annex.document import AnnexRejected

    with pytest.raises(AnnexRejected, match="Falta el encabezado del anexo"):
        split_preamble(["Programa", "Anexo B. Documento de trabajo"])


def test_the_old_formats_differ_from_the_new():
    # Guards the fixture: the old files must not be written in the new columns.
    for code in OLD:
        assert old_format(code).headings() != FORMATS[code].headings()
