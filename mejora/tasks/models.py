from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

WAITING = _("En espera")


class Job(models.Model):
    """One piece of background work a page waits for: its task, its stage and count, and
    its result (JSON) or the Spanish message of why it could not finish."""

    key = models.CharField(_("clave"), max_length=160, unique=True)
    task_id = models.CharField(_("tarea"), max_length=64, blank=True)
    stage = models.CharField(_("etapa"), max_length=120, blank=True)
    done = models.PositiveIntegerField(_("hecho"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    finished = models.BooleanField(_("terminado"), default=False)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("resultado"), default=dict, blank=True)
    attempt = models.PositiveIntegerField(_("intento"), default=0)
    started_at = models.DateTimeField(_("iniciado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("trabajo")
        verbose_name_plural = _("trabajos")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.key

    @property
    def percent(self) -> int:
        if self.finished and not self.error:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    def as_dict(self) -> dict[str, object]:
        """What a page's progress bar polls for."""
        return {
            "stage": str(self.stage or WAITING),
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "finished": self.finished,
            "error": self.error,
            "lost": False,
        }
