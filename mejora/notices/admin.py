"""Administrators read the notice log (who was told what, when) and people's choices."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from mejora.notices.models import Notice, NoticePreference


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "kind", "email", "subject", "event_key")
    list_filter = ("kind", "language")
    search_fields = ("email", "subject", "event_key")
    readonly_fields = [field.name for field in Notice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return False


@admin.register(NoticePreference)
class NoticePreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "reminders_off", "digests_off", "updated_at")
    list_filter = ("language", "reminders_off", "digests_off")
    search_fields = ("user__username", "user__email")
