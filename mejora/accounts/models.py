"""Who may see and change what: a person's role in an institution, program or area."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    LIAISON = "liaison", _("enlace del programa")
    AREA_STAFF = "area_staff", _("personal de área")
    EVALUATOR = "evaluator", _("unidad de evaluación")
    OVERSIGHT = "oversight", _("lector de supervisión")
    ADMINISTRATOR = "administrator", _("administrador")


class Membership(models.Model):
    """One role of one person, scoped to an institution, a program or an area (or all)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("usuario"),
    )
    role = models.CharField(_("rol"), max_length=20, choices=Role)
    institution = models.ForeignKey(
        "followup.Institution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("dependencia"),
    )
    program = models.ForeignKey(
        "followup.Program",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("programa"),
    )
    area = models.ForeignKey(
        "followup.Area", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("área")
    )

    class Meta:
        verbose_name = _("membresía")
        verbose_name_plural = _("membresías")
        constraints = [
            # A liaison answers for a program and area staff for an area; the other roles
            # read across an institution, or across all of them when none is given.
            models.CheckConstraint(
                condition=~Q(role=Role.LIAISON) | Q(program__isnull=False),
                name="membership_liaison_has_program",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.AREA_STAFF) | Q(area__isnull=False),
                name="membership_area_staff_has_area",
            ),
        ]

    def __str__(self) -> str:
        scope = self.program or self.area or self.institution or _("todas las dependencias")
        return f"{self.user} · {self.get_role_display()} · {scope}"

    @property
    def can_edit_progress(self) -> bool:
        return self.role in (Role.LIAISON, Role.AREA_STAFF, Role.ADMINISTRATOR)

    @property
    def can_validate(self) -> bool:
        return self.role in (Role.EVALUATOR, Role.ADMINISTRATOR)

    @property
    def can_import(self) -> bool:
        return self.role in (Role.LIAISON, Role.EVALUATOR, Role.ADMINISTRATOR)
