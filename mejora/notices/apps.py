from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "mejora.notices"
    label = "notices"
    verbose_name = _("Avisos por correo")

    def ready(self) -> None:
        from mejora.notices import receivers  # noqa: F401 - connects to the follow-up's events
