from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mejora.annex.messages import Message

WAITING = _("En espera")


class Job(models.Model):
    """One piece of background work a page waits for: its task, its stage and count, and
    its result (JSON) or the Spanish message of why it could not finish.

    A worker has no reader, so it writes in Spanish: the stage is a catalogue entry and a
    rejection's message is kept apart from its values (`result["message"]`), and both are
    translated when a page shows them."""

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

    @property
    def error_message(self) -> Message:
        """Why the job could not finish, to be shown with `translated(gettext)`."""
        kept = self.result.get("message") if isinstance(self.result, dict) else None
        return Message.from_dict(kept) if kept else Message(self.error)

    def error_text(self) -> str:
        """Why the job could not finish, in the active language ('' when it did)."""
        return self.error_message.translated(gettext) if self.error else ""

    def as_dict(self) -> dict[str, object]:
        """What a page's progress bar polls for, in the reader's language."""
        return {
            "stage": gettext(self.stage) if self.stage else str(WAITING),
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "finished": self.finished,
            "error": self.error_text(),
            "lost": False,
        }
