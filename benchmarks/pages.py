"""Page figures: the median of several requests to a page beside a trivial page, same run.

`python -m benchmarks.pages` with MEJORA_DATA_DIR (and MEJORA_DATABASE_URL for PostgreSQL)
pointing at a record `mejora synth --programs` made. Prints one JSON object: per page its
median seconds and its size in bytes, or null when the page does not exist (yet); and the
median of the trivial page, asked between its requests. Requests go through Django's whole
stack (middleware, sessions, templates) in this process, as a signed-in oversight reader of
the whole record (CONEVAL, SHCP, SFP): who reads everything, with nothing to capture or
review, so the navigation's own counts of pending work are not part of what each page is
measured to cost.
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
# The trivial page takes a millisecond or two: a stray pause moves a median of a few of its
# requests by a third, and every ratio with it. So it is asked this many times after each
# request to the page, the two interleaved: both measured under the same load, whatever the
# machine does meanwhile (a finished load's writes still reaching the disk, another process).
TRIVIAL_EACH = 5


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
    # A word one entry in six holds: far past the cap of results offered, the newest first.
    Page("search_broad", 40, ("search",), query=lambda s: {"q": "programa"}),
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


def _seconds(client, url: str, query: dict) -> float:
    start = time.perf_counter()
    response = client.get(url, query)
    if not response.streaming:
        response.content  # noqa: B018 - rendering is part of the cost
    return time.perf_counter() - start


def timed(
    client, url: str, query: dict, statuses: tuple[int, ...], visitor, trivial_url: str
) -> tuple[float, float, int]:
    """The page's median seconds over REQUESTS requests after a first one, the trivial
    page's over the requests interleaved with them, and the page's size."""
    first = client.get(url, query)
    if first.status_code not in statuses:
        raise RuntimeError(f"{url} answered {first.status_code}")
    if visitor.get(trivial_url).status_code != 200:
        raise RuntimeError(f"{trivial_url} did not answer")
    page, trivial = [], []
    for _ in range(REQUESTS):
        page.append(_seconds(client, url, query))
        trivial += [_seconds(visitor, trivial_url, {}) for _ in range(TRIVIAL_EACH)]
    return statistics.median(page), statistics.median(trivial), len(first.content)


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
        seconds, trivial, size = timed(
            client, url, page.query(chosen), page.statuses, visitor, reverse(TRIVIAL)
        )
        result[page.name] = {"seconds": seconds, "bytes": size, "trivial": trivial, "url": url}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
