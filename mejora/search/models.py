"""The search index and the near-duplicate pairs: derived from the record, rebuilt at will."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from mejora.followup.models import Activity, Aspect, Program


class Kind(models.TextChoices):
    ASPECT = "aspect", _("ASM")
    ACTIVITY = "activity", _("actividad")
    JUSTIFICATION = "justification", _("justificación del avance")
    OBSERVATION = "observation", _("observaciones")
    RECOMMENDATION = "recommendation", _("recomendación")
    EVIDENCE = "evidence", _("documento probatorio")


class SearchEntry(models.Model):
    """One searchable text of the record, with where it belongs for scoping and linking.

    `terms` is the stemmed text SQLite's FTS5 table (`search_fts`, kept by triggers) indexes;
    on PostgreSQL `document` is the text's tsvector in the `spanish_unaccent` configuration.
    """

    kind = models.CharField(_("tipo"), max_length=20, choices=Kind)
    object_id = models.PositiveBigIntegerField(_("identificador"))
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    aspect = models.ForeignKey(
        Aspect, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("título"), max_length=300)
    body = models.TextField(_("texto"))
    terms = models.TextField(_("raíces"))
    document = SearchVectorField(null=True, blank=True)

    class Meta:
        verbose_name = _("entrada del índice de búsqueda")
        verbose_name_plural = _("índice de búsqueda")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"


class AspectBand(models.Model):
    """One band of an ASM's MinHash signature: ASM sharing a band are candidate duplicates."""

    aspect = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="+")
    band = models.PositiveSmallIntegerField()
    value = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["value", "band"], name="search_band_value")]

    def __str__(self) -> str:
        return f"{self.aspect_id}/{self.band}"


class NearDuplicate(models.Model):
    """Two ASM whose texts nearly repeat each other, with how similar they are (0–100)."""

    aspect = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(_("similitud"))

    class Meta:
        verbose_name = _("posible duplicado")
        verbose_name_plural = _("posibles duplicados")
        constraints = [
            models.UniqueConstraint(fields=["aspect", "other"], name="near_duplicate_unique"),
            models.CheckConstraint(
                condition=Q(aspect__lt=F("other")), name="near_duplicate_ordered"
            ),
        ]
        indexes = [models.Index(fields=["other"], name="near_duplicate_other")]

    def __str__(self) -> str:
        return f"{self.aspect_id} ~ {self.other_id} ({self.similarity:.0f} %)"
