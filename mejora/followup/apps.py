from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "mejora.followup"
    label = "followup"
    verbose_name = _("Seguimiento de ASM")

    def ready(self) -> None:
        from mejora.followup import conclusions, facts, keeping
        from mejora.stats import tallies

        keeping.connect_receivers()
        facts.connect_receivers()
        conclusions.connect_receivers()
        tallies.connect_receivers()
