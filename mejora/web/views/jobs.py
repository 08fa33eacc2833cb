"""What every page that waits for a background task shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mejora.tasks.models import Job


def job_page(request: HttpRequest, progress_url: str, state: Job, title: str) -> HttpResponse:
    context = {"progress_url": progress_url, "state": state.as_dict(), "title": title}
    return render(request, "web/job_progress.html", context, status=202)
