from django.contrib import admin

from mejora.accounts.models import Membership
from mejora.followup.admin import RecordedAdmin


@admin.register(Membership)
class MembershipAdmin(RecordedAdmin):
    list_display = ["user", "role", "institution", "program", "area"]
    list_filter = ["role"]
