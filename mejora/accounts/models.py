"""Who may see and change what: a person's role in an institution, program or area."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mejora.followup.permissions import Action


class Role(models.TextChoices):
    LIAISON = "liaison", _("enlace del programa")
    AREA_STAFF = "area_staff", _("personal de área")
    EVALUATOR = "evaluator", _("unidad de evaluación")
    OVERSIGHT = "oversight", _("lector de supervisión")
    ADMINISTRATOR = "administrator", _("administrador")


ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # The program's liaison registers its ASM and activities and captures their progress.
    Role.LIAISON: frozenset({Action.VIEW, Action.CAPTURE, Action.REGISTER, Action.IMPORT}),
    # An area updates the activities it coordinates or carries out, nothing else.
    Role.AREA_STAFF: frozenset({Action.VIEW, Action.CAPTURE}),
    # The evaluation unit reviews every cut, registers evaluations and imports annexes.
    Role.EVALUATOR: frozenset({Action.VIEW, Action.REVIEW, Action.REGISTER, Action.IMPORT}),
    Role.OVERSIGHT: frozenset({Action.VIEW}),
    Role.ADMINISTRATOR: frozenset(Action.values),
}


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
    def actions(self) -> frozenset[str]:
        return ROLE_ACTIONS[self.role]

    @property
    def can_import(self) -> bool:
        return Action.IMPORT in self.actions
