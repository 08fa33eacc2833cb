"""The follow-up record: programs, their ASM, the activities, and progress at every cut."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mejora.annex.document import PartialDate, Precision

StrOrPromise = str | Promise


class PartialDateAttribute:
    """One partial date kept in three columns: `<name>_on`, `<name>_precision`, `<name>_text`.

    The date column holds the start of the period so the database can sort and filter it;
    the precision says how much of it is known and the text how it was written.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: models.Model | None, owner: type) -> PartialDate | None:
        if obj is None:
            return self  # type: ignore[return-value]
        date: dt.date | None = getattr(obj, f"{self.name}_on")
        if date is None:
            return None
        precision = Precision(getattr(obj, f"{self.name}_precision"))
        return PartialDate.of(date, precision, getattr(obj, f"{self.name}_text"))

    def __set__(self, obj: models.Model, value: PartialDate | None) -> None:
        setattr(obj, f"{self.name}_on", value.start if value else None)
        setattr(obj, f"{self.name}_precision", value.precision.value if value else "")
        setattr(obj, f"{self.name}_text", value.text if value else "")


class PrecisionChoices(models.TextChoices):
    DAY = "day", _("día")
    MONTH = "month", _("mes")
    YEAR = "year", _("año")


def _partial_date_fields(label: StrOrPromise) -> tuple[models.Field, models.Field, models.Field]:
    return (
        models.DateField(label, null=True, blank=True),
        models.CharField(
            _("precisión de la fecha"), max_length=5, choices=PrecisionChoices, blank=True
        ),
        models.CharField(_("fecha como se escribió"), max_length=200, blank=True),
    )


class Institution(models.Model):
    name = models.CharField(_("nombre"), max_length=300, unique=True)
    acronym = models.CharField(_("siglas"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("dependencia o entidad")
        verbose_name_plural = _("dependencias y entidades")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="programs",
        verbose_name=_("dependencia"),
    )
    name = models.CharField(_("nombre"), max_length=300)
    key = models.CharField(_("clave presupuestaria"), max_length=20, blank=True)
    # Who signs its annexes now ({"role", "name", "post"} each; roles as annex.document's
    # Signatory): kept from the latest annex imported, printed on the annexes issued.
    signatories = models.JSONField(_("firmantes"), default=list, blank=True)

    class Meta:
        verbose_name = _("programa")
        verbose_name_plural = _("programas")
        ordering = ["institution__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="program_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.name}".strip()


class Area(models.Model):
    """An administrative unit; several spellings (acronym, aliases such as 'DGEMPS.') name it."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="areas", verbose_name=_("dependencia")
    )
    name = models.CharField(_("nombre"), max_length=300)
    acronym = models.CharField(_("siglas"), max_length=30, blank=True)
    aliases = models.JSONField(_("otras formas de escribirla"), default=list, blank=True)

    class Meta:
        verbose_name = _("área")
        verbose_name_plural = _("áreas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="area_unique_name"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.name} ({self.acronym})"
            if self.acronym and self.acronym != self.name
            else self.name
        )


class Cycle(models.Model):
    """A mechanism year and the period of evaluations it follows: 'Mecanismo 2008', 2007-2008."""

    mechanism_year = models.PositiveSmallIntegerField(_("año del mecanismo"))
    evaluation_period = models.CharField(_("periodo de evaluaciones"), max_length=20)
    heading = models.CharField(_("encabezado"), max_length=300)

    class Meta:
        verbose_name = _("ciclo del mecanismo")
        verbose_name_plural = _("ciclos del mecanismo")
        ordering = ["mechanism_year", "evaluation_period"]
        constraints = [
            models.UniqueConstraint(
                fields=["mechanism_year", "evaluation_period"], name="cycle_unique_year_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_period} (Mecanismo {self.mechanism_year})"


class Evaluation(models.Model):
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("programa")
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("ciclo")
    )
    kind = models.CharField(_("tipo de evaluación"), max_length=120)
    year = models.PositiveSmallIntegerField(_("año"), null=True, blank=True)
    evaluator = models.CharField(_("evaluador externo"), max_length=300, blank=True)
    report_title = models.CharField(_("informe"), max_length=500, blank=True)
    report_url = models.URLField(_("liga al informe"), max_length=500, blank=True)
    # The institution's position on the evaluation (Anexo F); the recommendations carry their
    # own, and the counts of ASM are computed from the record, never kept.
    position_general = models.TextField(_("comentarios generales"), blank=True)
    position_specific = models.TextField(_("comentarios específicos"), blank=True)
    position_sources = models.TextField(_("fuentes de información (una por línea)"), blank=True)
    position_units = models.TextField(
        _("unidades administrativas que participaron (una por línea)"), blank=True
    )
    position_signatories = models.JSONField(
        _("firmantes de la posición institucional"), default=list, blank=True
    )
    position_version = models.PositiveIntegerField(_("versión de la posición"), default=1)

    class Meta:
        verbose_name = _("evaluación externa")
        verbose_name_plural = _("evaluaciones externas")

    def __str__(self) -> str:
        return f"{self.kind} {self.year or ''}".strip()


class Recommendation(models.Model):
    class Position(models.TextChoices):
        ATTENDED = "attended", _("se atiende")
        PARTIAL = "partial", _("se atiende parcialmente")
        NOT_ATTENDED = "not_attended", _("no se atiende")

    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.CASCADE,
        related_name="recommendations",
        verbose_name=_("evaluación"),
    )
    text = models.TextField(_("hallazgo o recomendación"))
    position = models.CharField(_("posición institucional"), max_length=20, choices=Position)
    reason = models.TextField(_("razón"), blank=True)
    # Where the Anexo F lists it; a recommendation typed later goes after the others.
    order = models.PositiveSmallIntegerField(_("orden"), default=0)

    class Meta:
        verbose_name = _("recomendación")
        verbose_name_plural = _("recomendaciones")
        ordering = ["evaluation_id", "order", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Classification(models.TextChoices):
    SPECIFIC = "especifico", _("específico")
    INSTITUTIONAL = "institucional", _("institucional")
    INTERINSTITUTIONAL = "interinstitucional", _("interinstitucional")
    INTERGOVERNMENTAL = "intergubernamental", _("intergubernamental")


class Aspect(models.Model):
    """An Aspecto Susceptible de Mejora, matched across imports by program, cycle and number."""

    class Priority(models.TextChoices):
        VERY_HIGH = "muy_alta", _("muy alta")
        HIGH = "alta", _("alta")
        MEDIUM = "media", _("media")
        LOW = "baja", _("baja")

    class ChangeKind(models.TextChoices):
        CORRECT = "corregir", _("corregir actividades o procesos")
        MODIFY_SUPPORT = "modificar_apoyos", _("modificar apoyos")
        REORIENT = "reorientacion", _("reorientación sustancial")
        ADD_OR_RELOCATE = "adicionar_reubicar", _("adicionar o reubicar")
        SUSPEND = "suspender", _("suspender")

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="aspects", verbose_name=_("programa")
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="aspects", verbose_name=_("ciclo")
    )
    number = models.CharField(_("número"), max_length=20)
    text = models.TextField(_("aspecto susceptible de mejora, como se escribió"))
    theme = models.CharField(_("tema"), max_length=120, blank=True)
    statement = models.TextField(_("enunciado"))
    classification = models.CharField(_("tipo por actor"), max_length=20, choices=Classification)
    priority = models.CharField(_("prioridad"), max_length=10, choices=Priority, blank=True)
    change_kind = models.CharField(
        _("tipo de cambio logrado"), max_length=20, choices=ChangeKind, blank=True
    )
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("evaluación")
    )
    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("recomendación"),
    )
    # The state at a date counts only the ASM registered by then; an imported ASM was
    # registered by the date of the annex that first brought it.
    registered_on = models.DateField(_("fecha de registro"), default=timezone.localdate)
    version = models.PositiveIntegerField(_("versión"), default=1)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("aspecto susceptible de mejora")
        verbose_name_plural = _("aspectos susceptibles de mejora")
        ordering = ["cycle__mechanism_year", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "cycle", "number"], name="aspect_unique_number"
            ),
        ]
        # What the balance reads of each ASM of a cycle (stats/balance.py), read from the
        # index alone: an ASM's row, with its texts, is a page of its own, and reading
        # 3,000 of them took twice as long as the index. PostgreSQL needs the id in it too
        # (SQLite's indexes hold it anyway).
        indexes = [
            models.Index(
                fields=[
                    "cycle",
                    "registered_on",
                    "program",
                    "classification",
                    "priority",
                    "change_kind",
                    "theme",
                ],
                include=["id"],
                name="aspect_balance",
            )
        ]

    def __str__(self) -> str:
        return f"ASM {self.cycle.mechanism_year}/{self.number}"


class AspectLink(models.Model):
    """One ASM continues or duplicates another (the seed's 2010 ASM 4 and 6)."""

    class Kind(models.TextChoices):
        CONTINUES = "continues", _("continúa a")
        DUPLICATES = "duplicates", _("duplica a")

    aspect = models.ForeignKey(
        Aspect, on_delete=models.CASCADE, related_name="links", verbose_name=_("ASM")
    )
    related = models.ForeignKey(
        Aspect,
        on_delete=models.CASCADE,
        related_name="linked_from",
        verbose_name=_("ASM relacionado"),
    )
    kind = models.CharField(_("relación"), max_length=12, choices=Kind)
    note = models.TextField(_("nota"), blank=True)

    class Meta:
        verbose_name = _("relación entre ASM")
        verbose_name_plural = _("relaciones entre ASM")
        constraints = [
            models.UniqueConstraint(
                fields=["aspect", "related", "kind"], name="aspect_link_unique"
            ),
            models.CheckConstraint(condition=~Q(aspect=F("related")), name="aspect_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.aspect} {self.get_kind_display()} {self.related}"


class Activity(models.Model):
    aspect = models.ForeignKey(
        Aspect, on_delete=models.CASCADE, related_name="activities", verbose_name=_("ASM")
    )
    order = models.PositiveSmallIntegerField(_("orden"))
    text = models.TextField(_("actividad"), blank=True)
    due_on, due_precision, due_text = _partial_date_fields(_("fecha de término"))
    due = PartialDateAttribute("due")
    expected_results = models.TextField(_("resultados esperados"), blank=True)
    deliverable = models.TextField(_("producto y/o evidencia"), blank=True)
    areas = models.ManyToManyField(Area, through="ActivityArea", verbose_name=_("áreas"))
    # The area cells as written ('DGEMPS, UPRI, DGS y la Dirección General de …'), so an annex
    # issued again reads as the one received while the roles below still say the same.
    coordinating_text = models.TextField(_("área coordinadora, como se escribió"), blank=True)
    responsible_text = models.TextField(_("área responsable, como se escribió"), blank=True)
    version = models.PositiveIntegerField(_("versión"), default=1)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("actividad")
        verbose_name_plural = _("actividades")
        ordering = ["aspect_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["aspect", "order"], name="activity_unique_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="activity_order_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.aspect} · actividad {self.order}"

    @property
    def reference(self) -> str:
        """How a list names the activity: the mechanism's year, the ASM's number and its own
        order (2019/3.1); one attribute for a template, which pays for every dot it follows."""
        return f"{self.aspect.cycle.mechanism_year}/{self.aspect.number}.{self.order}"


class ActivityArea(models.Model):
    """An area's part in an activity: it coordinates or it is responsible ('Realiza: X')."""

    class Role(models.TextChoices):
        COORDINATING = "coordinating", _("coordinadora")
        RESPONSIBLE = "responsible", _("responsable")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="area_roles", verbose_name=_("actividad")
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("área"))
    role = models.CharField(_("papel"), max_length=12, choices=Role)
    position = models.PositiveSmallIntegerField(_("posición"))
    note = models.CharField(_("nota del papel"), max_length=40, blank=True)
    written_as = models.CharField(_("como se escribió"), max_length=300, blank=True)
    # Seen by the record's stamp, so a review notices a role edited while it was open.
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("área de una actividad")
        verbose_name_plural = _("áreas de las actividades")
        ordering = ["activity_id", "role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "role", "position"], name="activity_area_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.written_as or self.area} ({self.get_role_display()})"


class Cut(models.Model):
    """A reporting cut (corte), e.g. 'marzo 2012': progress is reported as of its date.

    Only an open cut takes reports; closing it freezes them. A cut an annex was imported at
    is a closed one: its reports are history.
    """

    class State(models.TextChoices):
        OPEN = "open", _("abierto")
        CLOSED = "closed", _("cerrado")

    date = models.DateField(_("fecha del corte"), unique=True)
    name = models.CharField(_("nombre"), max_length=60)
    deadline = models.DateField(_("fecha límite de envío"), null=True, blank=True)
    state = models.CharField(_("estado"), max_length=6, choices=State, default=State.CLOSED)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("corte")
        verbose_name_plural = _("cortes")
        ordering = ["date"]
        constraints = [
            # Everybody reports to the same cut: two administrators opening one each at the
            # same moment must not leave two open.
            models.UniqueConstraint(
                fields=["state"],
                condition=Q(state="open"),
                name="cut_one_open",
                violation_error_message=_("Ya hay un corte abierto: ciérrelo antes de abrir otro."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProgressReport(models.Model):
    """How far an activity had come at a cut; moves draft → submitted → validated."""

    class State(models.TextChoices):
        DRAFT = "draft", _("borrador")
        SUBMITTED = "submitted", _("enviado")
        VALIDATED = "validated", _("validado")
        RETURNED = "returned", _("devuelto")

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="reports", verbose_name=_("actividad")
    )
    # Indexed by `report_cut_state`, which leads with the cut: a second index on the cut alone
    # was what PostgreSQL chose for "a cut's validated reports", then read the cut's every
    # report to find none (the open cut's), 3 ms on each dashboard.
    cut = models.ForeignKey(
        Cut,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("corte"),
        db_index=False,
    )
    percent = models.PositiveSmallIntegerField(_("porcentaje de avance"), null=True, blank=True)
    justification = models.TextField(_("porcentaje de avance y justificación"), blank=True)
    concluded_on, concluded_precision, concluded_text = _partial_date_fields(
        _("fecha de conclusión")
    )
    concluded = PartialDateAttribute("concluded")
    proof_text = models.TextField(_("identificación del documento probatorio"), blank=True)
    observations = models.TextField(_("observaciones"), blank=True)
    state = models.CharField(_("estado"), max_length=10, choices=State, default=State.DRAFT)
    return_reason = models.TextField(_("motivo de la devolución"), blank=True)
    submitted_at = models.DateTimeField(_("enviado a revisión"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("envió"),
    )
    reviewed_at = models.DateTimeField(_("revisado"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revisó"),
    )
    version = models.PositiveIntegerField(_("versión"), default=1)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("reporte de avance")
        verbose_name_plural = _("reportes de avance")
        ordering = ["activity_id", "cut__date"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "cut"], name="report_unique_cut"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100),
                name="report_percent_0_100",
            ),
        ]
        # A cut's reports in one state (the latest cut with validated progress, a cut's
        # reports waiting for review): an index seek, not a walk over the cut's reports.
        indexes = [models.Index(fields=["cut", "state"], name="report_cut_state")]

    def __str__(self) -> str:
        return f"{self.activity} · {self.cut}"


class Replanning(models.Model):
    """A justified change of what was committed; the history of promises is part of the record."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="replannings", verbose_name=_("actividad")
    )
    cut = models.ForeignKey(
        Cut, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("corte")
    )
    previous_due_on, previous_due_precision, previous_due_text = _partial_date_fields(
        _("fecha anterior")
    )
    previous_due = PartialDateAttribute("previous_due")
    new_due_on, new_due_precision, new_due_text = _partial_date_fields(_("nueva fecha"))
    new_due = PartialDateAttribute("new_due")
    # A replanning may change what is to be done, not only by when: the promise as it was
    # stays beside the new one.
    previous_text = models.TextField(_("actividad como se comprometió"), blank=True)
    new_text = models.TextField(_("actividad replanteada"), blank=True)
    justification = models.TextField(_("justificación"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("registró"),
    )
    created_at = models.DateTimeField(_("registrado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("replanteamiento")
        verbose_name_plural = _("replanteamientos")
        ordering = ["activity_id", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(justification=""), name="replanning_needs_justification"
            ),
            models.CheckConstraint(
                condition=Q(new_due_on__isnull=False), name="replanning_needs_new_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} → {self.new_due_text}"


# The first and last days a span of kept facts can cover: the facts before any cut start at
# the one, and those still in force end at the other, so a day falls in exactly one span.
SINCE_ALWAYS = dt.date(1, 1, 1)
UNTIL_ALWAYS = dt.date(9999, 12, 31)


class ActivityFacts(models.Model):
    """What an activity's status rests on from one cut to the next: the percent and conclusion
    date of its latest validated report, the end of its effective due date and whether it was
    replanned, in force from `starts` until the day before `ends`.

    Derived, never typed: followup/facts.py rewrites an activity's spans whenever a report, a
    replanning, its due date or a cut's date changes, so counting at a date reads one row per
    activity instead of every report and replanning it has (tests/stats/test_counting.py
    holds what it counts equal to the pure rules)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="facts", verbose_name=_("actividad")
    )
    starts = models.DateField(_("desde"))
    ends = models.DateField(_("hasta antes de"))
    percent = models.PositiveSmallIntegerField(_("porcentaje validado"), null=True)
    concluded_on = models.DateField(_("fecha de conclusión"), null=True)
    due_end = models.DateField(_("fin de la fecha de término vigente"), null=True)
    replanned = models.BooleanField(_("replanteada"), default=False)

    class Meta:
        verbose_name = _("hechos de una actividad")
        verbose_name_plural = _("hechos de las actividades")
        constraints = [
            models.UniqueConstraint(fields=["activity", "starts"], name="facts_one_span_a_start"),
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="facts_span_not_empty"),
        ]
        # The overdue of a large scope, latest or earliest due first, walked in this order
        # (stats/dashboard.py `_ListedRows`); with the span's day and percent in the index,
        # whether a span is the current one and unfinished is read from it, not the table.
        indexes = [
            models.Index(
                fields=["due_end", "activity", "starts", "ends", "percent"], name="facts_due_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.starts}–{self.ends}"


class AspectConclusion(models.Model):
    """A stretch of days an ASM stands concluded: it has activities and the latest validated
    report of every one of them says 100 (followup/status.py `aspect_status`), from `starts`
    until the day before `ends`. Days with no row are days it is not concluded.

    Derived, never typed: followup/conclusions.py rewrites an ASM's rows from its activities'
    kept facts whenever they change or an activity joins or leaves it, so the balance asks
    whether an ASM was concluded at a date with one indexed row instead of counting its
    activities (tests/stats/test_counting.py holds it equal to the pure rules)."""

    aspect = models.ForeignKey(
        Aspect, on_delete=models.CASCADE, related_name="conclusions", verbose_name=_("ASM")
    )
    starts = models.DateField(_("desde"))
    ends = models.DateField(_("hasta antes de"))

    class Meta:
        verbose_name = _("días concluido de un ASM")
        verbose_name_plural = _("días concluidos de los ASM")
        constraints = [
            models.UniqueConstraint(fields=["aspect", "starts"], name="conclusion_one_a_start"),
            models.CheckConstraint(
                condition=Q(starts__lt=F("ends")), name="conclusion_span_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.aspect_id} · {self.starts}–{self.ends}"


def _tallied(name) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(name, default=0)


class CutTally(models.Model):
    """What one program's records counted at a cut: its activities by status and by what the
    dashboard's figures count, its ASM by status and the activities that changed status since
    the cut before; for the whole program, or for one group of its ASM (cycle, classification
    and priority); and the same for each area's activities.

    Derived, never typed: stats/tallies.py rewrites a program's tallies whenever its kept
    facts, its ASM, their areas or the cuts change, so a dashboard at a cut sums a few rows
    per program instead of reading every activity (tests/stats/test_tallies.py holds the sums
    equal to counting live)."""

    class Breadth(models.IntegerChoices):
        # A number, not a boolean: the database seeks an index on it.
        PROGRAM = 1, _("todo el programa")
        GROUP = 2, _("un grupo de sus ASM")
        AREA = 3, _("las actividades de un área en todo el programa")

    cut = models.ForeignKey(Cut, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    # The whole program, one group of its ASM (what a dashboard may be narrowed to), or an
    # area's activities in the whole program.
    breadth = models.PositiveSmallIntegerField(_("alcance"), choices=Breadth)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, null=True, related_name="+")
    classification = models.CharField(_("tipo por actor"), max_length=20, blank=True)
    priority = models.CharField(_("prioridad"), max_length=10, blank=True)
    # AREA: only the activities where this area coordinates or is responsible (and no ASM).
    area = models.ForeignKey(Area, on_delete=models.CASCADE, null=True, related_name="+")
    total = _tallied(_("actividades"))
    concluded = _tallied(_("concluidas"))
    in_progress = _tallied(_("en proceso"))
    overdue = _tallied(_("vencidas"))
    not_started = _tallied(_("sin iniciar"))
    aging_1_30 = _tallied(_("vencidas de 1 a 30 días"))
    aging_31_90 = _tallied(_("vencidas de 31 a 90 días"))
    aging_91_180 = _tallied(_("vencidas de 91 a 180 días"))
    aging_181 = _tallied(_("vencidas hace más de 180 días"))
    due_30 = _tallied(_("vencen en 30 días"))
    due_60 = _tallied(_("vencen en 60 días"))
    due_90 = _tallied(_("vencen en 90 días"))
    on_time = _tallied(_("concluidas a tiempo"))
    concluded_undated = _tallied(_("concluidas sin fecha"))
    replanned = _tallied(_("replanteadas"))
    aspects = _tallied(_("ASM"))
    aspects_concluded = _tallied(_("ASM concluidos"))
    aspects_in_progress = _tallied(_("ASM en proceso"))
    aspects_overdue = _tallied(_("ASM vencidos"))
    aspects_not_started = _tallied(_("ASM sin iniciar"))
    # Activities by their status at the cut before and at this one, where the two differ.
    concluded_to_in_progress = _tallied(_("de concluida a en proceso"))
    concluded_to_overdue = _tallied(_("de concluida a vencida"))
    concluded_to_not_started = _tallied(_("de concluida a sin iniciar"))
    in_progress_to_concluded = _tallied(_("de en proceso a concluida"))
    in_progress_to_overdue = _tallied(_("de en proceso a vencida"))
    in_progress_to_not_started = _tallied(_("de en proceso a sin iniciar"))
    overdue_to_concluded = _tallied(_("de vencida a concluida"))
    overdue_to_in_progress = _tallied(_("de vencida a en proceso"))
    overdue_to_not_started = _tallied(_("de vencida a sin iniciar"))
    not_started_to_concluded = _tallied(_("de sin iniciar a concluida"))
    not_started_to_in_progress = _tallied(_("de sin iniciar a en proceso"))
    not_started_to_overdue = _tallied(_("de sin iniciar a vencida"))

    class Meta:
        verbose_name = _("cuenta de un corte")
        verbose_name_plural = _("cuentas de los cortes")
        indexes = [
            models.Index(fields=["cut", "breadth", "program"], name="tally_cut_breadth_program")
        ]

    def __str__(self) -> str:
        return f"{self.cut_id} · {self.program_id}: {self.total}"


class Evidence(models.Model):
    """A documento probatorio: a file (hashed) or a link, attached to a progress report."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("reporte")
    )
    name = models.CharField(_("nombre del archivo"), max_length=300)
    url = models.URLField(_("liga"), max_length=500, blank=True)
    file = models.FileField(_("archivo"), upload_to="evidencia/%Y/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("tamaño en bytes"), null=True, blank=True)
    content_type = models.CharField(_("tipo"), max_length=120, blank=True)
    # A document known by its reference only (an oficio's number), neither file nor link.
    reference = models.CharField(_("referencia del documento"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agregó"),
    )
    uploaded_at = models.DateTimeField(_("agregado"), default=timezone.now)

    class Meta:
        verbose_name = _("documento probatorio")
        verbose_name_plural = _("documentos probatorios")

    def __str__(self) -> str:
        return self.name


class AnnexImport(models.Model):
    """One file read into the record: what it was, who brought it, and what was found in it."""

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="imports", verbose_name=_("programa")
    )
    cut = models.ForeignKey(
        Cut, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("corte")
    )
    file_name = models.CharField(_("archivo"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_format = models.CharField(_("formato"), max_length=10)
    annex_kind = models.CharField(_("tipo de anexo"), max_length=40)
    aspects = models.PositiveIntegerField(_("ASM leídos"))
    activities = models.PositiveIntegerField(_("actividades leídas"))
    changes = models.PositiveIntegerField(_("registros cambiados"), default=0)
    # A historical annex brought in by the evaluation unit is official as it stands; a
    # liaison's import yields reports submitted for review like typed ones.
    as_validated = models.BooleanField(_("importado como validado"), default=True)
    findings = models.JSONField(_("hallazgos de la lectura"), default=list, blank=True)
    signatories = models.JSONField(_("firmantes del anexo"), default=list, blank=True)
    # A filing's cover letter, when the file bundled one with its instruments.
    oficio_number = models.CharField(_("número de oficio"), max_length=100, blank=True)
    oficio_date = models.DateField(_("fecha del oficio"), null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("importó"),
    )
    imported_at = models.DateTimeField(_("importado"), auto_now_add=True)

    class Meta:
        verbose_name = _("importación de anexo")
        verbose_name_plural = _("importaciones de anexos")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class ChangeRecord(models.Model):
    """Every change to the record: who, when, what it was before and after."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("acción de la bitácora", "alta")
        UPDATE = "update", pgettext_lazy("acción de la bitácora", "cambio")
        DELETE = "delete", pgettext_lazy("acción de la bitácora", "baja")

    at = models.DateTimeField(_("cuándo"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("quién"),
    )
    action = models.CharField(_("acción"), max_length=6, choices=Action)
    model = models.CharField(_("tipo de registro"), max_length=60)
    object_id = models.CharField(_("identificador"), max_length=40)
    object_repr = models.CharField(_("registro"), max_length=300)
    before = models.JSONField(_("antes"), null=True, blank=True)
    after = models.JSONField(_("después"), null=True, blank=True)
    source = models.CharField(_("origen"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("cambio registrado")
        verbose_name_plural = _("bitácora de cambios")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"], name="change_object")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"
