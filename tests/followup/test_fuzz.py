"""Mutated annexes are imported or rejected in Spanish: never a traceback, never half a write."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mejora.annex.document import AnnexRejected
from mejora.followup.services.imports import annex_import, annex_read, file_sha256
from tests.followup.test_import import dump

pytestmark = pytest.mark.django_db(transaction=False)

SPANISH = (
    "archivo",
    "línea",
    "fila",
    "columna",
    "anexo",
    "porcentaje",
    "encabezado",
    "asm",
    "fecha",
)


@st.composite
def mutations(draw, seed: bytes) -> bytes:
    lines = seed.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["drop", "duplicate", "swap", "byte", "tab", "cut", "percent"]))
        at = draw(st.integers(0, len(lines) - 1))
        if kind == "drop":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "byte" and lines[at]:
            position = draw(st.integers(0, len(lines[at]) - 1))
            value = draw(st.integers(0, 255))
            lines[at] = lines[at][:position] + bytes([value]) + lines[at][position + 1 :]
        elif kind == "tab":
            lines[at] = lines[at].replace(b"\t", b"", 1)
        elif kind == "cut":
            lines = lines[: at + 1]
        elif kind == "percent":
            lines[at] = lines[at].replace(b"100%", f"{draw(st.integers(0, 999))}%".encode(), 1)
        if not lines:
            lines = [b""]
    return b"\n".join(lines)


def test_any_mutation_is_imported_or_rejected_without_a_partial_write(seed_bytes):
    annex_import(
        document=annex_read(seed_bytes), file_name="base.txt", sha256="0" * 64, file_format="txt"
    )
    before = dump()

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=mutations(seed_bytes))
    def check(data: bytes) -> None:
        with transaction.atomic():
            try:
                annex_import(
                    document=annex_read(data),
                    file_name="mutado.txt",
                    sha256=file_sha256(data),
                    file_format="txt",
                )
            except AnnexRejected as rejection:
                message = str(rejection).lower()
                assert any(word in message for word in SPANISH), message
                assert dump() == before
            transaction.set_rollback(True)

    check()
