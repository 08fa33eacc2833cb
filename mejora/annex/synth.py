"""Synthetic annexes for benchmarks: realistic in shape and length, the same for a seed.

Texts are assembled from the vocabulary of real annexes (actions, objects, purposes), areas
are written as names or acronyms, dates in both conventions and in words, and progress
cells carry percents, conclusion dates and replanning notes like the seed's.
"""

from __future__ import annotations

import random
from dataclasses import replace

from mejora.annex.areas import AreaCatalogue, AreaName, read_areas
from mejora.annex.cells import Reading, read_due, read_progress, read_theme
from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AreaCell,
    AspectEntry,
    PartialDate,
    ProgressCell,
    Section,
)
from mejora.annex.formats import FORMATS, AnnexFormat, cycle_heading

AREAS = (
    AreaName("Dirección General de Evaluación y Monitoreo de los Programas Sociales", "DGEMPS"),
    AreaName("Unidad de Planeación y Relaciones Internacionales", "UPRI"),
    AreaName("Dirección General de Análisis y Prospectiva", "DGAP"),
    AreaName("Dirección General de Seguimiento", "DGS"),
    AreaName("Dirección General de Programación y Presupuesto", "DGPP"),
    AreaName("Dirección General de Informática", "DGI"),
    AreaName("Dirección General de Padrones de Beneficiarios", "DGPB"),
    AreaName("Unidad de Microrregiones", "UM"),
    AreaName("Coordinación de Delegaciones", "CD"),
    AreaName("Dirección General de Atención a Grupos Prioritarios", "DGAGP"),
    AreaName("Dirección General de Opciones Productivas", "DGOP"),
    AreaName("Dirección General de Políticas Sociales", "DGPS"),
)
THEMES = ("Diseño", "Operación", "Resultados", "Planeación", "Cobertura y focalización", "")
ACTIONS = (
    "Elaborar", "Actualizar", "Revisar y validar", "Difundir", "Integrar", "Documentar",
    "Definir", "Diseñar", "Implementar", "Incorporar", "Sistematizar", "Publicar",
)  # fmt: skip
OBJECTS = (
    "el diagnóstico del problema que atiende el programa",
    "la Matriz de Indicadores para Resultados",
    "las fichas técnicas de los indicadores de fin y propósito",
    "el padrón de beneficiarios con la CURP de cada persona",
    "los lineamientos de operación de las modalidades del programa",
    "la metodología para cuantificar la población potencial y objetivo",
    "el sistema de información para el seguimiento físico y financiero",
    "la estrategia de cobertura de mediano plazo",
    "el procedimiento de selección de proyectos productivos",
    "los mecanismos de atención de quejas y denuncias",
    "la agenda anual de evaluaciones externas",
    "el plan estratégico de corto, mediano y largo plazo",
)
PURPOSES = (
    "para apoyar la toma de decisiones",
    "a fin de mejorar la focalización de los apoyos",
    "con base en la información disponible y la normatividad aplicable",
    "en coordinación con las áreas involucradas",
    "para su incorporación en las Reglas de Operación",
    "de acuerdo con los Lineamientos Generales de Evaluación",
)
PRODUCTS = (
    "Documento diagnóstico", "Oficio de envío", "Minuta de la reunión de trabajo",
    "Reglas de Operación publicadas en el DOF", "Informe final", "Nota técnica",
    "Base de datos del padrón", "Manual de procedimientos", "Reporte de avance",
)  # fmt: skip


def synth_document(*, aspects: int, seed: int = 2012, kind: str = "anexo-e") -> AnnexDocument:
    """An annex of one program with `aspects` ASM over several cycles, 1 to 5 activities each.

    Any annex kind: its title, classification and cycle headings, and only the cells its
    columns hold (the same draws whatever the kind, so kinds differ only in what they show).
    """
    rng = random.Random(seed)
    annex = FORMATS[kind]
    classification = annex.classification
    catalogue = AreaCatalogue(AREAS)
    cycles = [(2008, "2007-2008"), (2009, "2008-2009"), (2010, "2009-2010"), (2011, "2010-2011")]
    per_cycle = [aspects // len(cycles) + (i < aspects % len(cycles)) for i in range(len(cycles))]
    sections = []
    for (year, period), count in zip(cycles, per_cycle, strict=True):
        entries = tuple(
            _only_columns(annex, _aspect(rng, catalogue, year, number))
            for number in range(1, count + 1)
        )
        heading = cycle_heading(classification, period, year)
        sections.append(Section(heading, classification, period, year, entries))
    return AnnexDocument(
        title=annex.title,
        institution="Secretaría de Desarrollo Social",
        program="Programa Sintético de Prueba",
        annex=annex.annex_line,
        kind=annex.code,
        sections=tuple(sections),
        prepared=PartialDate(2012, 3, text="marzo de 2012"),
        footnote=annex.footnote,
    )


def _only_columns(annex: AnnexFormat, aspect: AspectEntry) -> AspectEntry:
    """The ASM with the cells its annex kind has no column for left empty."""
    keys = {column.key for column in annex.columns}
    blank: dict[str, object] = {}
    if "coordinating" not in keys:
        blank["coordinating"] = AreaCell("")
    if "progress" not in keys:
        blank |= {"progress": ProgressCell(""), "proof": "", "observations": ""}
    if not blank:
        return aspect
    activities = tuple(replace(activity, **blank) for activity in aspect.activities)
    return replace(aspect, activities=activities)


def sentence(rng: random.Random) -> str:
    """One sentence of an ASM or activity, from the vocabulary of real annexes."""
    return f"{rng.choice(ACTIONS)} {rng.choice(OBJECTS)} {rng.choice(PURPOSES)}."


def _aspect(rng: random.Random, catalogue: AreaCatalogue, year: int, number: int) -> AspectEntry:
    theme = rng.choice(THEMES)
    statement = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
    text = f"{theme}: {statement}" if theme else statement
    read_as, read_statement = read_theme(text, Reading())
    count = rng.choice((1, 2, 3, 3, 4, 5))
    activities = tuple(_activity(rng, catalogue, year, order) for order in range(1, count + 1))
    return AspectEntry(str(number), text, read_as, read_statement, activities)


def _activity(rng: random.Random, catalogue: AreaCatalogue, year: int, order: int) -> ActivityEntry:
    due = PartialDate(year + rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28))
    due_text = _date_text(rng, due)
    percent = rng.choice((100, 100, 100, 100, 90, 75, 50, 20, 0))
    progress = f"Porcentaje de avance: {percent}%"
    if percent == 100:
        end = PartialDate(due.year + rng.randint(0, 1), rng.randint(1, 12))
        progress += f" Fecha de conclusión: {MONTH_NAMES[end.month - 1].capitalize()} de {end.year}"
    elif rng.random() < 0.3:
        progress += " Replanteamiento: Sí. Se reprogramó por cambios en las Reglas de Operación."
    else:
        progress += " Replanteamiento: No"
    return ActivityEntry(
        text=f"{order}. {sentence(rng)} {sentence(rng) if rng.random() < 0.5 else ''}".strip(),
        coordinating=read_areas(_areas_text(rng, 1), Reading(), catalogue),
        responsible=read_areas(_areas_text(rng, rng.randint(1, 3)), Reading(), catalogue),
        due=read_due(due_text, Reading()),
        expected_results=f"Contar con {rng.choice(OBJECTS)} {rng.choice(PURPOSES)}",
        deliverable=rng.choice(PRODUCTS),
        progress=read_progress(progress, Reading()),
        proof=f"{rng.choice(PRODUCTS).replace(' ', '_')}_{year}.pdf",
        observations=rng.choice(("", "", "La fecha dependió de los tiempos de la SHCP.")),
    )


def _areas_text(rng: random.Random, count: int) -> str:
    chosen = rng.sample(AREAS, count)
    names = [area.acronym if rng.random() < 0.5 else area.name for area in chosen]
    return names[0] if count == 1 else f"{', '.join(names[:-1])} y {names[-1]}"


def _date_text(rng: random.Random, date: PartialDate) -> str:
    # Real annexes mix conventions; a month/day date with a day up to 12 reads as day/month,
    # and is reported as ambiguous, exactly as it would be in an agency's file.
    style = rng.random()
    if style < 0.5:
        return f"{date.day:02d}/{date.month:02d}/{date.year}"
    if style < 0.8:
        return f"{date.month}/{date.day}/{date.year % 100:02d}"
    return f"{MONTH_NAMES[date.month - 1]} {date.year}"


# Whole-government scale: the institutions that report ASM to CONEVAL and the words their
# programs are named with (the names are invented; the shape is that of the budget).
INSTITUTIONS = (
    ("Secretaría de Desarrollo Social", "SEDESOL"),
    ("Secretaría de Educación Pública", "SEP"),
    ("Secretaría de Salud", "SALUD"),
    ("Secretaría de Agricultura y Desarrollo Rural", "SADER"),
    ("Secretaría de Economía", "SE"),
    ("Secretaría de Medio Ambiente y Recursos Naturales", "SEMARNAT"),
    ("Secretaría del Trabajo y Previsión Social", "STPS"),
    ("Secretaría de Desarrollo Agrario, Territorial y Urbano", "SEDATU"),
    ("Instituto Nacional de los Pueblos Indígenas", "INPI"),
    ("Instituto Mexicano del Seguro Social", "IMSS"),
    ("Instituto de Seguridad y Servicios Sociales de los Trabajadores del Estado", "ISSSTE"),
    ("Consejo Nacional de Humanidades, Ciencias y Tecnologías", "CONAHCYT"),
    ("Secretaría de Cultura", "CULTURA"),
    ("Secretaría de Energía", "SENER"),
    ("Secretaría de Comunicaciones y Transportes", "SCT"),
    ("Comisión Nacional del Agua", "CONAGUA"),
)
PROGRAM_KINDS = (
    ("S", "Programa de"), ("U", "Programa de Apoyo a"), ("E", "Servicios de"),
    ("B", "Suministro de"), ("P", "Conducción de la política de"),
)  # fmt: skip
PROGRAM_TOPICS = (
    "Opciones Productivas", "Estancias Infantiles", "Becas para la Educación Básica",
    "Vivienda Rural", "Atención a Jornaleros Agrícolas", "Comedores Comunitarios",
    "Fomento a la Economía Social", "Infraestructura Indígena", "Agua Potable y Saneamiento",
    "Atención a la Salud", "Vacunación Universal", "Seguro Médico", "Empleo Temporal",
    "Capacitación para el Trabajo", "Desarrollo Forestal", "Pago por Servicios Ambientales",
    "Fomento a la Lectura", "Cultura Comunitaria", "Innovación Tecnológica",
    "Apoyo al Ingreso de Pequeños Productores", "Caminos Rurales", "Electrificación Rural",
    "Educación Inicial", "Inclusión Financiera", "Mejoramiento Urbano", "Coinversión Social",
)  # fmt: skip
CHANGE_KINDS = (  # CONEVAL's 2018-2019 balance: 73.4% corrected, 5.9% support, 18.1% reoriented
    ("corregir", 73.4), ("modificar_apoyos", 5.9), ("reorientacion", 18.1),
    ("adicionar_reubicar", 2.0), ("suspender", 0.6),
)  # fmt: skip
CLASSIFICATIONS = (  # 182, 56, 4 and 1 of that balance's 243 ASM
    ("especifico", 182), ("institucional", 56), ("interinstitucional", 4),
    ("intergubernamental", 1),
)  # fmt: skip
PRIORITIES = (("alta", 4), ("media", 4), ("baja", 2))
JUSTIFICATIONS = (
    "Se concluyó conforme a lo programado.",
    "El avance depende de la publicación de las Reglas de Operación.",
    "Se elaboró el primer borrador y está en revisión de las áreas.",
    "La actividad se retrasó por la reducción del presupuesto del ejercicio.",
    "Se integró la información de las delegaciones estatales.",
)


def weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    """One value drawn with the weight beside it."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def program_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` distinct (budget key, name) pairs in the style of the federal budget."""
    names = []
    seen: set[str] = set()
    for number in range(1, count + 1):
        letter, prefix = rng.choice(PROGRAM_KINDS)
        name = f"{prefix} {rng.choice(PROGRAM_TOPICS)}"
        while name in seen:  # more programs than topics: regional editions, as in the budget
            name = f"{name} {rng.choice(('Regional', 'Estatal', 'del Sur', 'del Norte', 'Urbano'))}"
        seen.add(name)
        names.append((f"{letter}{number:03d}", name))
    return names
