"""Page figures: the median of several requests to a page beside a trivial page, same run.

`python -m benchmarks.pages` with MEJORA_DATA_DIR (and MEJORA_DATABASE_URL for PostgreSQL)
pointing at a record `mejora synth --programs` made. Prints one JSON object: per page its
median seconds and its size in bytes, or null when the page does not exist (yet); and the
trivial page's median. Requests go through Django's whole stack (middleware, sessions,
templates) in this process, as a signed-in oversight reader of the whole record (CONEVAL,
SHCP, SFP): who reads everything, with nothing to capture or review, so the navigation's own
counts of pending work are not part of what each page is measured to cost.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

REQUESTS = 11  # each page: one request to warm caches, then the median of these
# The trivial page takes a millisecond or two, so a stray pause moves a median of a few
# requests by a third, and every ratio with it: its median is taken over many more.
TRIVIAL_REQUESTS = 51


@dataclass(frozen=True)
class Sample:
    """What a page is asked with, drawn from the synthetic record."""

    institution: int
    program: int
    cycle: int
    year: int
    cut: int


@dataclass(frozen=True)
class Page:
    name: str
    target_ratio: float | None
    # URL names to try, newest first: a page other people are still writing may land under
    # any of them; none resolving means the figure is printed as missing.
    url_names: tuple[str, ...]
    kwargs: Callable[[Sample], dict] = lambda sample: {}
    query: Callable[[Sample], dict] = lambda sample: {}
    statuses: tuple[int, ...] = field(default=(200,))


PAGES = (
    # The institution dashboard of the institution with the most ASM.
    Page("dashboard", 30, ("dashboard",), query=lambda s: {"dependencia": s.institution}),
    Page("overdue", 30, ("dashboard-overdue",), query=lambda s: {"dependencia": s.institution}),
    Page("search", 40, ("search",), query=lambda s: {"q": "diagnostico"}),
    # The balance of one cycle across every institution, as CONEVAL publishes it.
    Page("balance", 400, ("balance",), query=lambda s: {"cycle": s.cycle}),
    # The program page of the largest program: a page of its ASM, whatever it holds. Its
    # figure has no target of its own (a page of 25 ASM with their activities is not a
    # trivial page); what it is held to is its growth and its weight.
    Page("program", None, ("program-detail",), kwargs=lambda s: {"pk": s.program}),
)
TRIVIAL = "login"  # the sign-in page to a visitor: the base template and a form, no records


def sample() -> Sample:
    """The largest institution and program, the latest cycle and cut with validated data."""
    from django.db.models import Count, F
    from django.db.models.functions import Abs

    from mejora.followup.models import Cut, Cycle, Institution, Program

    institution = Institution.objects.annotate(n=Count("programs__aspects")).order_by("-n").first()
    program = Program.objects.annotate(n=Count("aspects")).order_by("-n").first()
    # The cycle of CONEVAL's published 2018-2019 balance when the record reaches it.
    cycle = Cycle.objects.order_by(Abs(F("mechanism_year") - 2019), "-mechanism_year").first()
    cut = Cut.objects.filter(state=Cut.State.CLOSED).order_by("-date").first()
    return Sample(institution.pk, program.pk, cycle.pk, cycle.mechanism_year, cut.pk)


def bench_user():
    from django.contrib.auth import get_user_model

    from mejora.accounts.models import Membership, Role

    user, made = get_user_model().objects.get_or_create(username="bench-oversight")
    if made:
        Membership.objects.create(user=user, role=Role.OVERSIGHT)
    return user


def page_url(page: Page, chosen: Sample) -> str | None:
    from django.urls import NoReverseMatch, reverse

    for name in page.url_names:
        try:
            return reverse(name, kwargs=page.kwargs(chosen))
        except NoReverseMatch:
            continue
    return None


def timed(
    client, url: str, query: dict, statuses: tuple[int, ...], requests: int = REQUESTS
) -> tuple[float, int]:
    """The median seconds of `requests` requests after a first one, and the page's size."""
    first = client.get(url, query)
    if first.status_code not in statuses:
        raise RuntimeError(f"{url} answered {first.status_code}")
    seconds = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url, query)
        if not response.streaming:
            response.content  # noqa: B018 - rendering is part of the cost
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), len(first.content)


def main(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mejora.settings")
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")  # a host every setting allows
    client.force_login(bench_user())
    visitor = Client(HTTP_HOST="localhost")
    chosen = sample()
    result: dict[str, dict | None] = {}
    for page in PAGES:
        if names and page.name not in names:
            continue
        url = page_url(page, chosen)
        if url is None:
            result[page.name] = None
            continue
        seconds, size = timed(client, url, page.query(chosen), page.statuses)
        # The trivial page right after each page: both under much the same load.
        trivial, _ = timed(visitor, reverse(TRIVIAL), {}, (200,), TRIVIAL_REQUESTS)
        result[page.name] = {"seconds": seconds, "bytes": size, "trivial": trivial, "url": url}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
