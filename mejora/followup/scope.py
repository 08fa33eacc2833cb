"""Where a person may write an annex: the rule every import keeps, whoever starts it.

The scope itself is made from the person's memberships by `mejora.accounts.access`; the domain
only keeps it, so `followup` needs nothing from `accounts`. The decision is taken from the
names the file's title block gives, before anything of the file is interpreted or shown, and
a refusal says the same whether or not the institution or program exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop

from mejora.annex.document import AnnexRejected
from mejora.annex.messages import Message
from mejora.followup.models import Institution, Program


class ImportRefused(AnnexRejected):
    """The file names a program the person may not import into."""


@dataclass(frozen=True)
class ImportScope:
    """Programs a person may import into, and where they may create programs or institutions.

    A liaison reaches their own program; an evaluation unit the programs of its institution,
    where it may also create one; only an administrator of everything creates institutions.
    """

    programs: frozenset[int] = frozenset()
    institutions: frozenset[int] = frozenset()
    all_institutions: bool = False
    everything: bool = False

    @classmethod
    def operator(cls) -> ImportScope:
        """Whoever runs the command line on the server: an administrator of the whole record."""
        return cls(everything=True)

    def reaches_institution(self, institution: Institution) -> bool:
        return self.everything or self.all_institutions or institution.pk in self.institutions

    def reaches_program(self, program: Program) -> bool:
        return self.reaches_institution(program.institution) or program.pk in self.programs


def import_origin(
    *, actor: object, scope: ImportScope | None, source: str, file_name: str
) -> tuple[ImportScope, str]:
    """Who an import is for and what its history says it came from: a person's import
    (`actor`) must bring its scope (TypeError otherwise), the command line's reaches the whole
    record; the source is the one given, else the file's name."""
    if actor is not None and scope is None:
        raise TypeError("A person's import needs the scope of what they may import into.")
    return scope or ImportScope.operator(), source or f"importación de {file_name}"


@dataclass(frozen=True)
class ImportTarget:
    """The institution and program a file names, as far as the record already has them."""

    institution: Institution | None
    program: Program | None


def import_target(scope: ImportScope, *, institution: str, program: str) -> ImportTarget:
    """The record's institution and program the file names, or ImportRefused.

    A program not yet in the record may be created only where the scope allows creating one,
    and an institution only by an administrator of everything.
    """
    found_institution = Institution.objects.filter(name=institution).first()
    found_program = (
        Program.objects.select_related("institution")
        .filter(institution=found_institution, name=program)
        .first()
        if found_institution is not None
        else None
    )
    if found_program is not None:
        allowed = scope.reaches_program(found_program)
    elif found_institution is not None:
        allowed = scope.reaches_institution(found_institution)
    else:
        allowed = scope.everything
    if not allowed:
        raise ImportRefused(_refusal(scope, institution=institution, program=program))
    return ImportTarget(found_institution, found_program)


def _refusal(scope: ImportScope, *, institution: str, program: str) -> Message:
    # The same words whether or not that institution or program exists: only what the file
    # says and what the person may do, never what the record holds elsewhere.
    yours = list(
        Program.objects.filter(pk__in=scope.programs)
        .order_by("name")
        .values_list("name", flat=True)
    )
    where = (
        Message(gettext_noop("en los programas de su dependencia"))
        if scope.institutions or scope.all_institutions
        else Message(
            gettext_noop("solo en {programs}"),
            {"programs": ", ".join(f"«{name}»" for name in yours)},
        )
        if yours
        else Message(gettext_noop("en ningún programa"))
    )
    return Message(
        gettext_noop(
            "El anexo es del programa «{program}» de «{institution}», en el que usted no puede "
            "importar: su papel le permite importar {where}. No se leyó más del archivo ni se "
            "escribió nada."
        ),
        {"program": program, "institution": institution, "where": where},
    )
