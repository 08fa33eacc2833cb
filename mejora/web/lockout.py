"""The page django-axes shows a locked-out login: why, and how long to wait."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Answer 429 with the wait in whole minutes (each failed try during a lockout restarts it)."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "admin": request.path.startswith("/admin/")},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
