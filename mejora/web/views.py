"""Pages. Each view fetches through an access helper, calls a selector, and renders."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mejora.accounts.access import get_program_for_user, programs_for_user
from mejora.followup.selectors import program_as_of_date, program_overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    programs = list(programs_for_user(request.user))
    if len(programs) == 1:
        return redirect("program-detail", pk=programs[0].pk)
    return render(request, "web/home.html", {"programs": programs})


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    as_of = _as_of(request) or program_as_of_date(program)
    overview = program_overview(program, as_of)
    return render(request, "web/program_detail.html", {"overview": overview})


def _as_of(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("al", ""))
    except ValueError:
        return None
