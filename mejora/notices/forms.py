from __future__ import annotations

from django import forms

from mejora.notices.models import NoticePreference


class NoticePreferenceForm(forms.ModelForm):
    class Meta:
        model = NoticePreference
        fields = ["language", "reminders_off", "digests_off"]
