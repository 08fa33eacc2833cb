from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "mejora.accounts"
    label = "accounts"
    verbose_name = _("Usuarios y roles")
