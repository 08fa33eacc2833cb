"""The notice log (what was sent to whom, once per event) and each person's choices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    RETURNED = "returned", _("reporte devuelto")
    VALIDATED = "validated", _("reporte validado")
    SUBMITTED = "submitted", _("reportes enviados a revisión")
    OVERDUE = "overdue", _("actividad vencida")
    DEADLINE = "deadline", _("fecha límite del corte")

    @property
    def optional(self) -> bool:
        """Reminders and digests may be declined; the outcome of a review may not."""
        return self in REMINDERS or self in DIGESTS


REMINDERS = frozenset({Kind.OVERDUE, Kind.DEADLINE})
DIGESTS = frozenset({Kind.SUBMITTED})


class Language(models.TextChoices):
    SPANISH = "es-mx", "Español (México)"
    ENGLISH = "en", "English"


class NoticePreference(models.Model):
    """A person's language for notices and the notices they declined."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preference",
        verbose_name=_("persona"),
    )
    language = models.CharField(
        _("idioma de los avisos"), max_length=5, choices=Language, default=Language.SPANISH
    )
    reminders_off = models.BooleanField(
        _("no recibir recordatorios"),
        default=False,
        help_text=_("Actividades vencidas y fechas límite de los cortes."),
    )
    digests_off = models.BooleanField(
        _("no recibir resúmenes"),
        default=False,
        help_text=_("Los reportes enviados a la unidad de evaluación."),
    )
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("preferencia de avisos")
        verbose_name_plural = _("preferencias de avisos")

    def __str__(self) -> str:
        return str(self.user)

    def declines(self, kind: Kind) -> bool:
        return (kind in REMINDERS and self.reminders_off) or (kind in DIGESTS and self.digests_off)


class NoticeEvent(models.Model):
    """An event `mejora remind` found due and queued, so a later run does not queue it again."""

    key = models.CharField(_("evento"), max_length=200, unique=True)
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind)
    found_at = models.DateTimeField(_("encontrado"), auto_now_add=True)

    class Meta:
        verbose_name = _("evento de aviso")
        verbose_name_plural = _("eventos de aviso")

    def __str__(self) -> str:
        return self.key


class Notice(models.Model):
    """One e-mail sent: to whom, when, what; one per event and person, whoever sends it."""

    event_key = models.CharField(_("evento"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("destinatario"),
    )
    email = models.EmailField(_("correo"))
    language = models.CharField(_("idioma"), max_length=5, choices=Language)
    subject = models.CharField(_("asunto"), max_length=300)
    link = models.URLField(_("liga"), max_length=500)
    sent_at = models.DateTimeField(_("enviado"), auto_now_add=True)

    class Meta:
        verbose_name = _("aviso enviado")
        verbose_name_plural = _("avisos enviados")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient"], name="notice_once_per_event_and_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.email}"
