"""The Django admin, in Spanish, for every model; every save leaves a row in the change log."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mejora.followup import models as m
from mejora.followup.history import change_record, snapshot

admin.site.site_header = _("Mejora · administración")
admin.site.site_title = _("Mejora")
admin.site.index_title = _("Seguimiento a Aspectos Susceptibles de Mejora")


class VersionedForm(forms.ModelForm):
    """Refuses to save over a change someone else saved after this form was opened."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None:
            current = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
            )
            if current and current[0] != seen:
                raise forms.ValidationError(
                    _(
                        "Otra persona guardó este registro mientras usted lo editaba. "
                        "Recargue la página para ver sus cambios y vuelva a capturar los suyos."
                    )
                )
        return cleaned


class RecordedAdmin(admin.ModelAdmin):
    """Admin saves and deletions are recorded like any other change: who, when, before, after."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        if any(f.name == "version" for f in self.model._meta.fields):
            kwargs.setdefault("form", type("Form", (VersionedForm,), {}))
            kwargs["exclude"] = [*(kwargs.get("exclude") or []), "version"]
        return super().get_form(request, obj, change, **kwargs)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = snapshot(type(obj).objects.get(pk=obj.pk))
            if hasattr(obj, "version"):
                obj.version += 1
        super().save_model(request, obj, form, change)
        action = m.ChangeRecord.Action.UPDATE if change else m.ChangeRecord.Action.CREATE
        change_record(
            action=action, obj=obj, actor=request.user, before=before, source="administración"
        ).save()

    @transaction.atomic
    def save_formset(self, request, form, formset, change):
        """Rows edited in an inline are recorded like any other change (an activity's areas)."""
        changed = [f.instance.pk for f in formset.forms if f.instance.pk and f.has_changed()]
        model = formset.model
        befores = {obj.pk: snapshot(obj) for obj in model.objects.filter(pk__in=changed)}
        records = [
            change_record(
                action=m.ChangeRecord.Action.DELETE,
                obj=obj,
                actor=request.user,
                before=snapshot(obj),
                source="administración",
            )
            for obj in (f.instance for f in formset.deleted_forms if f.instance.pk)
        ]
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            before = befores.get(obj.pk)
            if before is not None and hasattr(obj, "version"):
                obj.version += 1
            obj.save()
            action = m.ChangeRecord.Action.UPDATE if before else m.ChangeRecord.Action.CREATE
            records.append(
                change_record(
                    action=action,
                    obj=obj,
                    actor=request.user,
                    before=before,
                    source="administración",
                )
            )
        formset.save_m2m()
        m.ChangeRecord.objects.bulk_create(records)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        """The list's «eliminar seleccionados»: each record's deletion is recorded, as when
        one is deleted from its own page."""
        records = [
            change_record(
                action=m.ChangeRecord.Action.DELETE,
                obj=obj,
                actor=request.user,
                before=snapshot(obj),
                source="administración",
            )
            for obj in queryset
        ]
        super().delete_queryset(request, queryset)
        m.ChangeRecord.objects.bulk_create(records)

    @transaction.atomic
    def delete_model(self, request, obj):
        record = change_record(
            action=m.ChangeRecord.Action.DELETE,
            obj=obj,
            actor=request.user,
            before=snapshot(obj),
            source="administración",
        )
        super().delete_model(request, obj)
        record.save()


@admin.register(m.Institution)
class InstitutionAdmin(RecordedAdmin):
    list_display = ["name", "acronym"]
    search_fields = ["name", "acronym"]


@admin.register(m.Program)
class ProgramAdmin(RecordedAdmin):
    list_display = ["name", "key", "institution"]
    list_filter = ["institution"]
    search_fields = ["name", "key"]


@admin.register(m.Area)
class AreaAdmin(RecordedAdmin):
    list_display = ["name", "acronym", "institution"]
    list_filter = ["institution"]
    search_fields = ["name", "acronym"]


@admin.register(m.Cycle)
class CycleAdmin(RecordedAdmin):
    list_display = ["heading", "mechanism_year", "evaluation_period"]


@admin.register(m.Evaluation)
class EvaluationAdmin(RecordedAdmin):
    list_display = ["kind", "year", "program", "evaluator"]
    list_filter = ["year"]


@admin.register(m.Recommendation)
class RecommendationAdmin(RecordedAdmin):
    list_display = ["__str__", "position", "evaluation"]
    list_filter = ["position"]


class ActivityInline(admin.TabularInline):
    model = m.Activity
    fields = ["order", "text", "due_text"]
    extra = 0
    show_change_link = True


@admin.register(m.Aspect)
class AspectAdmin(RecordedAdmin):
    list_display = ["__str__", "theme", "classification", "priority", "program"]
    list_filter = ["classification", "priority", "cycle", "program"]
    search_fields = ["text", "number"]
    list_select_related = ["cycle", "program"]
    inlines = [ActivityInline]


@admin.register(m.AspectLink)
class AspectLinkAdmin(RecordedAdmin):
    list_display = ["aspect", "kind", "related"]


class ActivityAreaInline(admin.TabularInline):
    model = m.ActivityArea
    extra = 0


@admin.register(m.Activity)
class ActivityAdmin(RecordedAdmin):
    list_display = ["__str__", "due_text", "due_on"]
    list_select_related = ["aspect__cycle"]
    search_fields = ["text"]
    inlines = [ActivityAreaInline]


@admin.register(m.ActivityArea)
class ActivityAreaAdmin(RecordedAdmin):
    list_display = ["activity", "area", "role", "note"]
    list_filter = ["role"]


@admin.register(m.Cut)
class CutAdmin(RecordedAdmin):
    list_display = ["name", "date"]


@admin.register(m.ProgressReport)
class ProgressReportAdmin(RecordedAdmin):
    list_display = ["activity", "cut", "percent", "state"]
    list_filter = ["state", "cut"]
    list_select_related = ["activity__aspect__cycle", "cut"]


@admin.register(m.Replanning)
class ReplanningAdmin(RecordedAdmin):
    list_display = ["activity", "previous_due_text", "new_due_text", "created_at"]


@admin.register(m.Evidence)
class EvidenceAdmin(RecordedAdmin):
    list_display = ["name", "report", "sha256", "size"]


@admin.register(m.AnnexImport)
class AnnexImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "program", "cut", "aspects", "activities", "imported_at"]
    readonly_fields = [f.name for f in m.AnnexImport._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(m.ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    """The log is read-only: a history that can be edited is no history."""

    list_display = ["at", "actor", "action", "model", "object_repr", "source"]
    list_filter = ["action", "model"]
    search_fields = ["object_repr", "source"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
