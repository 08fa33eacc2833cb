from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "mejora.search"
    label = "search"
    verbose_name = _("Búsqueda")

    def ready(self) -> None:
        from mejora.followup.events import records_changed
        from mejora.search.indexing import on_records_changed

        records_changed.connect(on_records_changed, dispatch_uid="search-index")
