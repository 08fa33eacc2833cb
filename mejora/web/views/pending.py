"""Pendientes: what each person must capture, fix or review now, and what falls due soon."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mejora.accounts.access import activities_for_user, reports_for_user
from mejora.accounts.models import Action
from mejora.followup.pending_work import (
    due_soon,
    reports_listed,
    to_capture,
    to_fix,
    to_review,
    with_program,
)
from mejora.followup.services.cuts import open_cut


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    user = request.user
    cut = open_cut()
    capture = list(with_program(to_capture(activities_for_user(user, Action.CAPTURE), cut)))
    fix = list(reports_listed(to_fix(reports_for_user(user, Action.CAPTURE), cut)))
    review = list(reports_listed(to_review(reports_for_user(user, Action.REVIEW))))
    soon = due_soon(activities_for_user(user, Action.CAPTURE), timezone.localdate())
    context = {"cut": cut, "capture": capture, "fix": fix, "review": review, "soon": soon}
    return render(request, "web/pending.html", context)
