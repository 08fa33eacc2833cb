"""How area cells are split into areas, with and without a catalogue of the institution."""

import json
from pathlib import Path

import pytest

from mejora.annex.areas import AreaCatalogue, AreaName, area_key, name_and_acronym, read_areas
from mejora.annex.cells import Reading

SEDESOL_AREAS = Path(__file__).parents[2] / "mejora" / "sample" / "sedesol-areas.json"

DGOP = "Dirección General de Opciones Productivas"
DGAP_NAME = "Dirección General de Análisis y Prospectiva"
UPRI_NAME = "Unidad de Planeación y Relaciones Internacionales"


def sedesol_catalogue() -> AreaCatalogue:
    data = json.loads(SEDESOL_AREAS.read_text(encoding="utf-8"))
    return AreaCatalogue(
        AreaName(area["name"], area.get("acronym", ""), tuple(area.get("aliases", ())))
        for area in data["areas"]
    )


CATALOGUES = [
    pytest.param(AreaCatalogue, id="empty-catalogue"),
    pytest.param(sedesol_catalogue, id="sedesol-catalogue"),
]

# Every area cell of the seed, with the areas it names as written, and the role note.
SEED_CELLS = [
    pytest.param(
        "Dirección General de Informática", ["Dirección General de Informática"], "", id="dgi"
    ),
    pytest.param(DGOP, [DGOP], "", id="dgop"),
    pytest.param(DGAP_NAME, [DGAP_NAME], "", id="a-name-with-y-inside"),
    pytest.param(UPRI_NAME, [UPRI_NAME], "", id="another-name-with-y-inside"),
    pytest.param("Realiza: Delegaciones", ["Delegaciones"], "Realiza", id="realiza-delegaciones"),
    pytest.param(f"Realiza: {DGOP}", [DGOP], "Realiza", id="realiza-a-full-name"),
    pytest.param("DGS.", ["DGS"], "", id="acronym-with-a-period"),
    pytest.param("DGEMPS.", ["DGEMPS"], "", id="another-acronym-with-a-period"),
    pytest.param("DGEMPS", ["DGEMPS"], "", id="acronym"),
    pytest.param("UAROP", ["UAROP"], "", id="acronym-only-known-as-written"),
    pytest.param("DGEMPS, UPRI y DGS", ["DGEMPS", "UPRI", "DGS"], "", id="three-acronyms"),
    pytest.param(
        "DGEMPS, UPRI, DGPP y DGS", ["DGEMPS", "UPRI", "DGPP", "DGS"], "", id="four-acronyms"
    ),
    pytest.param(
        f"DGEMPS, UPRI, DGS y la {DGOP}",
        ["DGEMPS", "UPRI", "DGS", DGOP],
        "",
        id="acronyms-and-a-full-name-with-article",
    ),
    pytest.param(
        f"DGEMPS, UPRI, DGAP y {DGOP}",
        ["DGEMPS", "UPRI", "DGAP", DGOP],
        "",
        id="acronyms-and-a-full-name",
    ),
    pytest.param(f"DGEMPS y la {DGOP}", ["DGEMPS", DGOP], "", id="acronym-y-la-full-name"),
    pytest.param(
        f"{DGAP_NAME} y {DGOP}", [DGAP_NAME, DGOP], "", id="two-full-names-one-with-y-inside"
    ),
]


@pytest.mark.parametrize("make_catalogue", CATALOGUES)
@pytest.mark.parametrize(("text", "names", "note"), SEED_CELLS)
def test_it_splits_each_area_cell_of_the_seed(make_catalogue, text, names, note):
    cell = read_areas(text, Reading(), make_catalogue())

    assert cell.text == text
    assert [area.name for area in cell.areas] == names
    assert {area.note for area in cell.areas} == {note}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param(f"{UPRI_NAME} y DGS", [UPRI_NAME, "DGS"], id="name-with-y-then-acronym"),
        pytest.param(f"{DGAP_NAME} y UPRI", [DGAP_NAME, "UPRI"], id="another-then-acronym"),
        pytest.param("la UPRI y la DGS", ["UPRI", "DGS"], id="articles-dropped"),
        pytest.param("UPRI; DGS", ["UPRI", "DGS"], id="semicolon"),
        pytest.param("UPRI , DGS ,", ["UPRI", "DGS"], id="stray-commas"),
    ],
)
@pytest.mark.parametrize("make_catalogue", CATALOGUES)
def test_it_splits_lists_the_seed_does_not_have_the_same_way(make_catalogue, text, names):
    assert [area.name for area in read_areas(text, Reading(), make_catalogue()).areas] == names


@pytest.mark.parametrize(
    ("text", "note"),
    [
        pytest.param("Realiza: Delegaciones", "Realiza", id="realiza"),
        pytest.param("coordina: UPRI", "Coordina", id="coordina-lower-case"),
        pytest.param("Participa:DGS", "Participa", id="participa-glued"),
        pytest.param("Apoya : DGS", "Apoya", id="apoya-with-space"),
    ],
)
def test_it_reads_the_role_note_before_the_areas(text, note):
    cell = read_areas(text, Reading(), AreaCatalogue())

    assert len(cell.areas) == 1
    assert cell.areas[0].note == note


def test_the_note_applies_to_every_area_of_the_cell():
    cell = read_areas("Coordina: UPRI y DGS", Reading(), AreaCatalogue())

    assert [(a.name, a.note) for a in cell.areas] == [("UPRI", "Coordina"), ("DGS", "Coordina")]


def test_an_empty_cell_names_no_area():
    reading = Reading()

    assert read_areas("", reading, AreaCatalogue()).areas == ()
    assert reading.doubts == []


def test_a_known_name_that_looks_like_no_area_still_ends_an_unknown_one():
    catalogue = AreaCatalogue(
        [AreaName("Fondo Nacional para el Fomento de las Artesanías", "FONART", ("Fonart",))]
    )

    cell = read_areas(f"{DGOP} y Fonart", Reading(), catalogue)

    assert [area.name for area in cell.areas] == [DGOP, "Fonart"]


def test_the_longest_known_name_wins_over_its_parts():
    catalogue = AreaCatalogue([AreaName("Unidad de Planeación"), AreaName(UPRI_NAME, "UPRI")])

    cell = read_areas(f"{UPRI_NAME} y DGS", Reading(), catalogue)

    assert [area.name for area in cell.areas] == [UPRI_NAME, "DGS"]


# --- area_key and the catalogue ----------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("DGEMPS.", id="trailing-period"),
        pytest.param("dgemps", id="lower-case"),
        pytest.param("la DGEMPS", id="with-article"),
        pytest.param("  DGEMPS  ", id="surrounding-spaces"),
        pytest.param("La DGEMPS.", id="article-and-period"),
    ],
)
def test_area_key_ignores_case_article_spacing_and_a_final_period(written):
    assert area_key(written) == area_key("DGEMPS")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        pytest.param(
            "Dirección General de Informática",
            "direccion general de informatica",
            id="accents-and-case",
        ),
        pytest.param(UPRI_NAME, f"la  {UPRI_NAME.upper()}.", id="article-spaces-case-period"),
    ],
)
def test_area_key_is_the_same_for_two_spellings_of_a_name(one, other):
    assert area_key(one) == area_key(other)


def test_area_key_keeps_different_areas_apart():
    assert area_key("DGS") != area_key("DGPP")


@pytest.mark.parametrize(
    ("written", "expected_name"),
    [
        pytest.param("UPRI", UPRI_NAME, id="by-acronym"),
        pytest.param("upri.", UPRI_NAME, id="by-acronym-loosely-written"),
        pytest.param(UPRI_NAME, UPRI_NAME, id="by-name"),
        pytest.param(
            "la unidad de planeacion y relaciones internacionales",
            UPRI_NAME,
            id="by-name-loosely-written",
        ),
        pytest.param("DGAP", DGAP_NAME, id="dgap-by-acronym"),
        pytest.param(
            "Delegaciones", "Delegaciones de la SEDESOL en las entidades federativas", id="by-alias"
        ),
    ],
)
def test_the_catalogue_finds_an_area_by_acronym_name_or_alias(written, expected_name):
    assert sedesol_catalogue().find(written).name == expected_name


def test_the_catalogue_does_not_find_an_area_it_does_not_know():
    assert sedesol_catalogue().find("UAROP") is None


def test_the_catalogue_counts_areas_not_spellings():
    assert len(sedesol_catalogue()) == 8
    assert len(AreaCatalogue()) == 0


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        pytest.param("UAROP", ["UAROP"], id="sedesol-catalogue-does-not-know-uarop"),
        pytest.param("DGEMPS, UPRI y DGS", [], id="it-knows-the-acronyms"),
        pytest.param(f"{DGAP_NAME} y {DGOP}", [], id="it-knows-the-full-names"),
        pytest.param(
            "Coordinación Nacional de Prospera y DGS",
            ["Coordinación Nacional de Prospera"],
            id="only-the-unknown-one-is-reported",
        ),
    ],
)
def test_the_sedesol_catalogue_reports_only_unknown_areas(text, unknown):
    reading = Reading()

    read_areas(text, reading, sedesol_catalogue())

    assert [kind for kind, *_ in reading.doubts] == ["unknown_area"] * len(unknown)
    for name, (_, message, *_) in zip(unknown, reading.doubts, strict=True):
        assert message.startswith(f"«{name}» no está en el catálogo de áreas")


@pytest.mark.parametrize(
    ("first", "second", "new_in_second"),
    [
        pytest.param("UAROP", "UAROP", [], id="the-same-spelling"),
        pytest.param("DGS.", "DGS", [], id="with-and-without-period"),
        pytest.param("DGEMPS, UPRI y DGS", "la DGEMPS y la UPRI", [], id="inside-a-list"),
        pytest.param(
            UPRI_NAME, f"{UPRI_NAME} y DGS", ["DGS"], id="a-name-with-y-inside-is-learnt-whole"
        ),
    ],
)
def test_an_unknown_area_is_reported_once_and_learnt(first, second, new_in_second):
    catalogue = AreaCatalogue()
    first_reading, second_reading = Reading(), Reading()

    first_cell = read_areas(first, first_reading, catalogue)
    read_areas(second, second_reading, catalogue)

    assert len(first_reading.doubts) == len(first_cell.areas)
    assert all(catalogue.find(area.name) is not None for area in first_cell.areas)
    assert [
        text.split("»")[0].lstrip("«") for _, text, *_ in second_reading.doubts
    ] == new_in_second


def test_an_unknown_acronym_is_learnt_as_its_own_acronym():
    catalogue = AreaCatalogue()

    read_areas("UAROP", Reading(), catalogue)

    assert catalogue.find("uarop.") == AreaName("UAROP", "UAROP")


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_acronyms_listed_one_per_line_are_each_an_area(catalogue):
    cell = read_areas("DGEMPS\nUPRI\nUAROP", Reading(), catalogue())

    assert [a.name for a in cell.areas] == ["DGEMPS", "UPRI", "UAROP"]
    assert cell.text == "DGEMPS, UPRI, UAROP"


def test_known_names_listed_one_per_line_are_each_an_area_with_the_role_note():
    cell = read_areas(f"Realiza: {UPRI_NAME}\nla {DGOP}\nDGS.", Reading(), sedesol_catalogue())

    assert [(a.name, a.note) for a in cell.areas] == [
        (UPRI_NAME, "Realiza"),
        (DGOP, "Realiza"),
        ("DGS", "Realiza"),
    ]


@pytest.mark.parametrize("catalogue", CATALOGUES)
@pytest.mark.parametrize(
    ("written", "names"),
    [
        pytest.param("Dirección General de\nOpciones Productivas", [DGOP], id="a-wrapped-name"),
        pytest.param("DGEMPS, UPRI y\nDGS", ["DGEMPS", "UPRI", "DGS"], id="a-wrapped-list"),
        pytest.param(
            "Delegaciones\nde la SEDESOL en las entidades federativas",
            ["Delegaciones de la SEDESOL en las entidades federativas"],
            id="a-known-alias-that-goes-on",
        ),
    ],
)
def test_a_line_break_inside_one_name_or_list_item_is_a_space(catalogue, written, names):
    assert [a.name for a in read_areas(written, Reading(), catalogue()).areas] == names


@pytest.mark.parametrize(
    "written",
    [
        pytest.param(f"{DGOP} (DGOP)", id="name-then-acronym"),
        pytest.param(f"DGOP ({DGOP})", id="acronym-then-name"),
        pytest.param(f"la {DGOP} (DGOP).", id="with-article-and-period"),
        pytest.param(f"{DGOP}  ( DGOP )", id="loose-spacing"),
        pytest.param(f"{DGOP} (DGOPR)", id="known-name-unknown-acronym"),
        pytest.param("Dir. Gral. de Opciones Productivas (DGOP)", id="known-acronym-only"),
        pytest.param(f"{UPRI_NAME} (UPRI)", id="a-name-with-y-inside"),
    ],
)
def test_a_name_with_its_acronym_in_parentheses_is_the_one_catalogue_area(written):
    reading = Reading()

    cell = read_areas(written, reading, sedesol_catalogue())

    assert len(cell.areas) == 1
    assert reading.doubts == []
    assert sedesol_catalogue().find(cell.areas[0].name) is not None


def test_a_name_with_its_acronym_in_parentheses_is_found_by_the_catalogue():
    catalogue = sedesol_catalogue()

    assert catalogue.find(f"{DGOP} (DGOP)") == catalogue.find("DGOP")
    assert catalogue.find(f"DGOP ({DGOP})") == catalogue.find("DGOP")


def test_a_parenthesised_acronym_inside_a_list_is_one_area():
    reading = Reading()

    cell = read_areas(f"DGEMPS, {UPRI_NAME} (UPRI) y {DGOP} (DGOP)", reading, sedesol_catalogue())

    assert [a.name for a in cell.areas] == ["DGEMPS", f"{UPRI_NAME} (UPRI)", f"{DGOP} (DGOP)"]
    assert reading.doubts == []


def test_a_name_and_an_acronym_of_two_areas_are_kept_as_written_with_a_doubt():
    reading = Reading()
    catalogue = sedesol_catalogue()

    cell = read_areas(f"{DGOP} (DGS)", reading, catalogue)

    assert [a.name for a in cell.areas] == [f"{DGOP} (DGS)"]
    [(kind, message, _, subject)] = reading.doubts
    assert (kind, subject) == ("unknown_area", f"{DGOP} (DGS)")
    assert "dos áreas distintas" in message
    assert DGOP in message and "Dirección General de Seguimiento" in message
    assert catalogue.find(f"{DGOP} (DGS)") == AreaName(f"{DGOP} (DGS)")


@pytest.mark.parametrize(
    ("written", "name", "acronym"),
    [
        pytest.param(
            "Dirección General de Cosas Nuevas (DGCN)",
            "Dirección General de Cosas Nuevas",
            "DGCN",
            id="name-then-acronym",
        ),
        pytest.param(
            "DGCN (Dirección General de Cosas Nuevas)",
            "Dirección General de Cosas Nuevas",
            "DGCN",
            id="acronym-then-name",
        ),
    ],
)
def test_an_unknown_name_with_its_acronym_is_learnt_as_both(written, name, acronym):
    catalogue, reading = sedesol_catalogue(), Reading()

    read_areas(written, reading, catalogue)

    [(kind, message, _, subject)] = reading.doubts
    assert (kind, subject) == ("unknown_area", written)
    assert f"«{name}», con la sigla {acronym}" in message
    assert catalogue.find(name) == catalogue.find(acronym) == catalogue.find(written)
    assert catalogue.find(name) == AreaName(name, acronym, (written,))


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("Delegaciones (en los estados)", id="no-acronym-inside"),
        pytest.param("DGS (DGOP)", id="two-acronyms"),
    ],
)
def test_a_parenthesis_without_one_acronym_is_no_name_and_acronym(written):
    assert name_and_acronym(written) is None
