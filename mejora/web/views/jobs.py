"""What every page that waits for a background job shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mejora.followup.services.jobs import JobState


def job_page(request: HttpRequest, progress_url: str, state: JobState, title: str) -> HttpResponse:
    context = {"progress_url": progress_url, "state": state, "title": title}
    return render(request, "web/job_progress.html", context, status=202)
