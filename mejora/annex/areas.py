"""Area cells split against a catalogue: 'DGEMPS, UPRI, DGS y la Dirección General de …'.

Area names contain ' y ' themselves ('Unidad de Planeación y Relaciones Internacionales'),
so a cell is never split blindly: known names win, and an unknown name is only cut at a
' y ' followed by what starts an area name (an acronym, 'Dirección', 'Unidad', …).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from mejora.annex.cells import Reading
from mejora.annex.document import AreaCell, AreaRef
from mejora.annex.words import fold, squash

_ROLE_NOTE = re.compile(r"^(realiza|coordina|participa|apoya)\s*:\s*", re.I)
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")
BLANK_LINE = re.compile(r"\n[ \t\xa0]*\n\s*")
_AND = re.compile(r"\s+y\s+")
_ARTICLE = re.compile(r"^(?:la|el|los|las)\s+(?=\S)", re.I)
_ACRONYM = re.compile(r"^[A-ZÁÉÍÓÚÑ][A-ZÁÉÍÓÚÑ0-9\-]{1,15}\.?$")
_PARENTHESIS = re.compile(r"^(?P<outer>[^()]*[^()\s])\s*\((?P<inner>[^()]+)\)$")
_AREA_HEADS = (
    "direccion", "unidad", "coordinacion", "subsecretaria", "secretaria", "oficialia",
    "oficina", "delegacion", "organo", "instituto", "comision", "consejo", "area",
    "departamento", "subdireccion", "jefatura", "gerencia", "fideicomiso", "centro",
    "procuraduria", "tesoreria", "contraloria", "titular", "enlace",
)  # fmt: skip


@dataclass(frozen=True)
class AreaName:
    """One area of an institution's catalogue: its name, acronym and other spellings."""

    name: str
    acronym: str = ""
    aliases: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        return (self.name, self.acronym, *self.aliases)


def area_key(written: str) -> str:
    """'DGEMPS.' and 'dgemps' and 'la DGEMPS' are one key."""
    return fold(_ARTICLE.sub("", squash(written))).rstrip(". ")


def name_and_acronym(written: str) -> AreaName | None:
    """'Dirección General de Opciones Productivas (DGOP)', or 'DGOP (Dirección …)', split."""
    match = _PARENTHESIS.match(_clean(written))
    if match is None:
        return None
    outer, inner = _clean(match["outer"]), _clean(match["inner"])
    if _ACRONYM.match(inner) and not _ACRONYM.match(outer):
        return AreaName(outer, inner)
    if _ACRONYM.match(outer) and not _ACRONYM.match(inner):
        return AreaName(inner, outer)
    return None


Found = TypeVar("Found")


def found_by_parts(
    written: str, find: Callable[[str], Found | None]
) -> tuple[Found | None, Found | None]:
    """What the name and what the acronym of 'Name (ACRONYM)' each find (None, None otherwise)."""
    parts = name_and_acronym(written)
    if parts is None:
        return None, None
    return find(parts.name), find(parts.acronym)


def agreed(by_name: Found | None, by_acronym: Found | None) -> Found | None:
    """The one area a name and its acronym find; None when they name two different areas."""
    if by_name is not None and by_acronym is not None and by_name != by_acronym:
        return None
    return by_name if by_name is not None else by_acronym


class AreaCatalogue:
    """The areas an institution knows, found by any of their spellings."""

    def __init__(self, entries: Iterable[AreaName] = ()) -> None:
        self._by_key: dict[str, AreaName] = {}
        # Cells already read against the catalogue as it is now, without a doubt: a long
        # annex names the same few areas on every row, and splitting a cell is costly.
        self._cells: dict[str, AreaCell] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: AreaName) -> None:
        self._cells.clear()  # a name learnt may split a cell otherwise
        for spelling in entry.spellings():
            if spelling:
                self._by_key.setdefault(area_key(spelling), entry)

    def find(self, written: str) -> AreaName | None:
        found = self._find_spelling(written)
        if found is None:
            found = agreed(*found_by_parts(written, self._find_spelling))
        return found

    def _find_spelling(self, written: str) -> AreaName | None:
        return self._by_key.get(area_key(written))

    def __len__(self) -> int:
        return len({id(entry) for entry in self._by_key.values()})


# Cells kept at most, so that a file of ever different cells holds no more than this.
_CELLS_KEPT = 4096


def read_areas(text: str, reading: Reading, catalogue: AreaCatalogue) -> AreaCell:
    """Every area a cell names, as written; unknown ones are learnt and reported once."""
    cell = catalogue._cells.get(text)
    if cell is None:
        doubts = len(reading.doubts)
        cell = _read_areas(text, reading, catalogue)
        # A cell that raised a doubt taught the catalogue a name: read again, it raises none.
        if len(reading.doubts) == doubts and len(catalogue._cells) < _CELLS_KEPT:
            catalogue._cells[text] = cell
    return cell


def _read_areas(text: str, reading: Reading, catalogue: AreaCatalogue) -> AreaCell:
    text = squash(_lines_as_list(text, catalogue))
    rest, note = text, ""
    if (role := _ROLE_NOTE.match(text)) is not None:
        note, rest = role.group(1).capitalize(), text[role.end() :]
    names: list[str] = []
    for listed in _LIST_SEPARATOR.split(rest):
        for piece in _split_slashes(listed, catalogue):
            if piece:
                names.extend(_split_conjunctions(piece, catalogue, reading))
    return AreaCell(text, tuple(AreaRef(name, note) for name in names))


_SLASH = re.compile(r"\s*/\s*")


def _split_slashes(piece: str, catalogue: AreaCatalogue) -> list[str]:
    """'DGEMPS/UPRI', 'Dirección de Planeación / Dirección de Finanzas': two areas. A slash
    separates only where an area starts after it and a known name does not hold it
    ('Dependencia/Entidad' and the like stay whole)."""
    parts = _SLASH.split(piece)
    if len(parts) < 2 or catalogue.find(piece) is not None:
        return [piece]
    names = [parts[0]]
    for index in range(1, len(parts)):
        apart = _starts_an_area(parts, index, catalogue) and (
            _starts_an_area([names[-1]], 0, catalogue) or _is_whole_area(names[-1], catalogue)
        )
        if apart:
            names.append(parts[index])
        else:
            names[-1] = f"{names[-1]}/{parts[index]}"
    return names


def _lines_as_list(text: str, catalogue: AreaCatalogue) -> str:
    """A cell that lists its areas one per line ('DGEMPS⏎UPRI'), as a list with commas.

    A line break separates two areas when the line before ends with a whole area (a known
    name or an acronym) and the next line starts like one; anywhere else it is where a long
    name wrapped ('Dirección General de⏎Opciones Productivas').
    """
    # A blank line always parts two entries, however the one before it ends.
    paragraphs = [p for p in BLANK_LINE.split(text) if p.strip()]
    if len(paragraphs) > 1:
        return ", ".join(_lines_as_list(p, catalogue) for p in paragraphs)
    lines = [squash(line) for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return text
    joined = lines[0]
    for line in lines[1:]:
        before = _LIST_SEPARATOR.split(_ROLE_NOTE.sub("", joined))[-1]
        after = _LIST_SEPARATOR.split(line)[0]
        apart = (
            _is_whole_area(before, catalogue)
            and _starts_an_area([after], 0, catalogue)
            and catalogue.find(f"{before} {after}") is None
        )
        joined += (", " if apart else " ") + line
    return joined


def _is_whole_area(item: str, catalogue: AreaCatalogue) -> bool:
    last = _AND.split(item)[-1]  # 'UPRI y DGS' ends with an area of its own
    known = catalogue.find(item) or catalogue.find(last)
    return known is not None or bool(_ACRONYM.match(_ARTICLE.sub("", last)))


def _split_conjunctions(piece: str, catalogue: AreaCatalogue, reading: Reading) -> list[str]:
    parts = _AND.split(piece)
    names: list[str] = []
    start = 0
    while start < len(parts):
        end = _longest_known(parts, start, catalogue)
        if end is None:
            end = start + 1
            while end < len(parts) and not _starts_an_area(parts, end, catalogue):
                end += 1
            name = _clean(" y ".join(parts[start:end]))
            _report_unknown(name, catalogue, reading)
        else:
            name = _clean(" y ".join(parts[start:end]))
        if name:
            names.append(name)
        start = end
    return names


def _report_unknown(name: str, catalogue: AreaCatalogue, reading: Reading) -> None:
    """Say why a person should name the area, and learn it so it is reported once."""
    by_name, by_acronym = found_by_parts(name, catalogue.find)
    split = name_and_acronym(name)
    if by_name is not None and by_acronym is not None:  # find() refused them: they disagree
        reading.doubt(
            "unknown_area",
            f"«{name}» nombra dos áreas distintas del catálogo: «{by_name.name}» por su nombre "
            f"y «{by_acronym.name}» por su sigla; se registrará como área nueva, tal como está "
            "escrita.",
            subject=name,
        )
        catalogue.add(AreaName(name))
    elif split is not None:
        reading.doubt(
            "unknown_area",
            f"«{name}» no está en el catálogo de áreas; se registrará como área nueva "
            f"«{split.name}», con la sigla {split.acronym}.",
            subject=name,
        )
        catalogue.add(AreaName(split.name, split.acronym, (name,)))
    else:
        reading.doubt(
            "unknown_area",
            f"«{name}» no está en el catálogo de áreas; se registrará como área nueva.",
            subject=name,
        )
        catalogue.add(AreaName(name, name if _ACRONYM.match(name) else ""))


def _longest_known(parts: list[str], start: int, catalogue: AreaCatalogue) -> int | None:
    for end in range(len(parts), start, -1):
        if catalogue.find(" y ".join(parts[start:end])) is not None:
            return end
    return None


def _starts_an_area(parts: list[str], start: int, catalogue: AreaCatalogue) -> bool:
    if _longest_known(parts, start, catalogue) is not None:
        return True  # a known name wins even when it starts like no area ('Fonart')
    bare = _ARTICLE.sub("", parts[start].strip())
    first = bare.split(" ", 1)[0]
    return bool(_ACRONYM.match(first)) or fold(first).startswith(_AREA_HEADS)


def _clean(name: str) -> str:
    return _ARTICLE.sub("", squash(name)).rstrip(". ").strip()
