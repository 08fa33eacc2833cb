"""The embedded demo: the sample annex loaded, and one person per role to look at it with."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from importlib import resources

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from mejora.accounts.models import Membership, Role
from mejora.annex.areas import AreaName
from mejora.followup.models import Area, Program
from mejora.followup.services.catalogue import areas_load
from mejora.followup.services.imports import (
    ImportSummary,
    annex_import,
    annex_read,
    file_sha256,
)

SAMPLE_ANNEX = "anexo-e-opciones-productivas-2012-03.txt"
SAMPLE_AREAS = "sedesol-areas.json"
DEMO_SOURCE = "demostración"


def sample_bytes(name: str) -> bytes:
    return resources.files("mejora.sample").joinpath(name).read_bytes()


@dataclass
class DemoAccount:
    username: str
    password: str
    role_label: str
    scope: str


@dataclass
class DemoPrepared:
    summary: ImportSummary
    accounts: list[DemoAccount] = field(default_factory=list)

    def describe(self) -> str:
        doc = self.summary.document
        lines = [
            f"Anexo de muestra: {doc.annex} · {doc.program}",
            f"  {doc.aspect_count()} ASM, {doc.activity_count()} actividades, "
            f"{len(self.summary.findings)} hallazgos de lectura.",
            "",
            "Usuarios de demostración (las contraseñas cambian cada vez que corre el demo):",
        ]
        for account in self.accounts:
            lines.append(
                f"  {account.username:<12} {account.password:<14} "
                f"{account.role_label} · {account.scope}"
            )
        lines += ["", "El administrador invita a más personas en /personas/."]
        if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
            lines.append("Los correos (invitaciones, contraseñas olvidadas) salen en esta consola.")
        return "\n".join(lines)


def demo_prepare() -> DemoPrepared:
    """Load the sample catalogue and annex (idempotent) and reset one account per role."""
    catalogue = json.loads(sample_bytes(SAMPLE_AREAS))
    areas_load(
        institution_name=catalogue["institution"],
        acronym=catalogue["acronym"],
        areas=[
            AreaName(a["name"], a.get("acronym", ""), tuple(a.get("aliases", ())))
            for a in catalogue["areas"]
        ],
        source=DEMO_SOURCE,
    )
    data = sample_bytes(SAMPLE_ANNEX)
    summary = annex_import(
        document=annex_read(data),
        file_name=SAMPLE_ANNEX,
        sha256=file_sha256(data),
        file_format="txt",
        source=DEMO_SOURCE,
    )
    return DemoPrepared(summary, _demo_accounts(summary.program))


@transaction.atomic
def _demo_accounts(program: Program) -> list[DemoAccount]:
    area = Area.objects.filter(institution=program.institution, acronym="DGEMPS").first()
    plan = [
        ("enlace", Role.LIAISON, {"program": program}, str(program)),
        ("area", Role.AREA_STAFF, {"area": area}, str(area)),
        (
            "evaluacion",
            Role.EVALUATOR,
            {"institution": program.institution},
            program.institution.name,
        ),
        ("supervision", Role.OVERSIGHT, {}, "todas las dependencias"),
        ("admin", Role.ADMINISTRATOR, {}, "todo el sistema"),
    ]
    accounts = []
    users = get_user_model()
    for username, role, scope, scope_label in plan:
        if role == Role.AREA_STAFF and area is None:
            continue
        password = secrets.token_urlsafe(9)
        user, _ = users.objects.get_or_create(username=username)
        # An address on the reserved .test domain, so the demo's notices show on its console.
        user.email = f"{username}@mejora.test"
        user.set_password(password)
        user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
        user.save()
        Membership.objects.filter(user=user).delete()
        Membership.objects.create(user=user, role=role, **scope)
        accounts.append(DemoAccount(username, password, Role(role).label, scope_label))
    return accounts
