"""`mejora manage search_rebuild`: the search index and the near-duplicate pairs from scratch."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from mejora.search.indexing import index_rebuild


class Command(BaseCommand):
    help = _("Reconstruye el índice de búsqueda y los pares de ASM casi idénticos.")

    def handle(self, *args, **options) -> None:
        counts = index_rebuild()
        self.stdout.write(
            _("Índice reconstruido: %(entries)s textos, %(pairs)s pares casi idénticos.") % counts
        )
