"""A person's notice preferences: the language of their e-mail, and the notices they decline."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mejora.notices.forms import NoticePreferenceForm
from mejora.notices.models import Notice
from mejora.notices.sending import preference_of
from mejora.notices.services import notice_preference_set

RECENT = 20


@login_required
def notice_preferences(request: HttpRequest) -> HttpResponse:
    form = NoticePreferenceForm(request.POST or None, instance=preference_of(request.user))
    if request.method == "POST" and form.is_valid():
        notice_preference_set(person=request.user, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Se guardaron sus preferencias de avisos."))
        return redirect("notice-preferences")
    recent = Notice.objects.filter(recipient=request.user)[:RECENT]
    status = 422 if request.method == "POST" else 200
    return render(
        request, "web/notice_preferences.html", {"form": form, "recent": recent}, status=status
    )
