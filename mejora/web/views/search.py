"""Search across the record, and the near-duplicate ASM the evaluation unit may link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mejora.accounts.access import get_aspect_for_user, user_may
from mejora.accounts.models import Action
from mejora.followup.models import AspectLink
from mejora.followup.services.commitments import aspect_link
from mejora.search.models import SearchEntry
from mejora.search.selectors import (
    RankedResults,
    link_direction,
    near_duplicates_for_user,
    search_for_user,
)
from mejora.search.text import highlight

RESULTS_PER_PAGE = 20
# The most results offered (50 pages): past them, a narrower query says more than paging.
MAX_RESULTS = 1000
PAIRS_PER_PAGE = 25
QUERY_MAX_CHARS = 200


def _link(entry: SearchEntry) -> str:
    if entry.activity_id:
        return reverse("activity-detail", args=[entry.activity_id])
    return reverse("program-detail", args=[entry.program_id])


@login_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX_CHARS]
    page = None
    if query:
        results = Paginator(
            RankedResults(search_for_user(request.user, query), MAX_RESULTS), RESULTS_PER_PAGE
        )
        page = results.get_page(request.GET.get("pagina"))
        for entry in page:
            # highlight() escapes every character of the record's text; only <mark> is ours.
            entry.snippet = mark_safe(highlight(entry.body, query))
            entry.url = _link(entry)
    context = {"query": query, "page": page, "page_query": urlencode({"q": query})}
    return render(request, "web/search.html", context)


def _may_see_duplicates(user) -> None:
    if not user_may(user, Action.REVIEW):
        raise PermissionDenied(_("Solo la unidad de evaluación revisa los ASM casi idénticos."))


def _duplicates_page(request: HttpRequest, errors: list[str], status: int = 200) -> HttpResponse:
    pairs = Paginator(near_duplicates_for_user(request.user), PAIRS_PER_PAGE)
    page = pairs.get_page(request.GET.get("pagina"))
    for pair in page:
        pair.newer, pair.older = link_direction(pair)
    context = {"page": page, "kinds": AspectLink.Kind.choices, "errors": errors}
    return render(request, "web/duplicates.html", context, status=status)


@login_required
def near_duplicates(request: HttpRequest) -> HttpResponse:
    _may_see_duplicates(request.user)
    return _duplicates_page(request, [])


@login_required
@require_POST
def near_duplicate_link(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the newer ASM of the pair continues or duplicates the older one."""
    _may_see_duplicates(request.user)
    pair = near_duplicates_for_user(request.user).filter(pk=pk).first()
    if pair is None:
        raise Http404(_("No existe o no tiene acceso a él."))
    newer, older = link_direction(pair)
    aspect = get_aspect_for_user(request.user, newer.pk, Action.REGISTER)
    kind = request.POST.get("kind", "")
    if kind not in AspectLink.Kind.values:
        return _duplicates_page(
            request, [_("Elija si el ASM continúa o duplica al otro.")], status=422
        )
    note = _("Señalado como casi idéntico (%(similarity)s %% de similitud).") % {
        "similarity": f"{pair.similarity:.0f}"
    }
    try:
        link = aspect_link(aspect=aspect, related=older, kind=kind, note=note, actor=request.user)
    except ValidationError as refusal:
        return _duplicates_page(request, refusal.messages, status=422)
    messages.success(request, _("Se registró: %(link)s.") % {"link": link})
    return redirect("near-duplicates")
