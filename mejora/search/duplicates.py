"""Near-duplicate ASM: candidates from MinHash bands, then a precise score.

Comparing every pair is out of reach at 50,000 ASM, so each ASM's pairs of consecutive
stems are summarised by a MinHash signature (datasketch) cut into bands; ASM sharing a band
are candidates, and only those are scored with rapidfuzz. Bands are kept in the database
(`AspectBand`), so an edited ASM finds its candidates with one indexed look-up. Everything
here is Python over plain rows: the same pairs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

from mejora.followup.models import Aspect
from mejora.search.models import AspectBand, NearDuplicate
from mejora.search.text import comparable, shingles

PERMUTATIONS = 64
BANDS = 16  # of 4 rows each: two texts sharing 80% of their shingles meet in a band 99.99% of times
ROWS = PERMUTATIONS // BANDS
SEED = 1
# The least score (0–100, rapidfuzz's ratio of the folded texts) flagged as a near-duplicate.
THRESHOLD = 85.0
# An ASM is scored against at most this many candidates, those sharing most bands: a text
# repeated hundreds of times (boilerplate) would otherwise make the pairs quadratic.
MAX_CANDIDATES = 20
CHUNK = 500


def _text(aspect_text: str, statement: str) -> str:
    # The statement leaves out the theme's prefix ("Resultados: …"), which many ASM share.
    return statement.strip() or aspect_text


def signature_bands(texts: Sequence[str]) -> list[list[int]]:
    """Each text's band values (BANDS of them; none for a text without words)."""
    sets = [sorted(shingles(t)) for t in texts]
    # Imported here: datasketch brings numpy and scipy (60 MB), which a process that only
    # imports or reads an annex (every index change reaches this module) never needs.
    from datasketch import MinHash

    hashes = MinHash.bulk(
        [[s.encode() for s in words] for words in sets], num_perm=PERMUTATIONS, seed=SEED
    )
    bands: list[list[int]] = []
    for words, minhash in zip(sets, hashes, strict=True):
        if not words:
            bands.append([])
            continue
        values = minhash.hashvalues
        bands.append(
            [
                int.from_bytes(
                    hashlib.blake2b(
                        values[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8
                    ).digest(),
                    "big",
                    signed=True,
                )
                for b in range(BANDS)
            ]
        )
    return bands


def score(a: str, b: str) -> float:
    """How alike two ASM texts are, 0–100, each as `text.comparable` gives it (accents,
    case and punctuation aside)."""
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b)


def _texts(ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        rows = Aspect.objects.filter(pk__in=ids[i : i + CHUNK]).values_list(
            "pk", "text", "statement"
        )
        found.update((pk, _text(text, statement)) for pk, text, statement in rows)
    return found


def _candidate_pairs(
    pks: Iterable[int],
    signatures: dict[int, list[int]],
    buckets: dict[tuple[int, int], list[int]],
) -> list[tuple[int, int]]:
    """Each ASM with the ASM sharing most of its bands (the first of a crowded band only)."""
    pairs = []
    for pk in pks:
        shared: defaultdict[int, int] = defaultdict(int)
        for n, value in enumerate(signatures[pk]):
            for other in buckets[(n, value)][: MAX_CANDIDATES + 1]:
                if other != pk:
                    shared[other] += 1
        best = sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CANDIDATES]
        pairs.extend((min(pk, other), max(pk, other)) for other, _n in best)
    return pairs


def _scored(pairs: Iterable[tuple[int, int]], texts: dict[int, str]) -> list[NearDuplicate]:
    found = []
    ready: dict[int, str] = {}
    for a, b in sorted(set(pairs)):
        for pk in (a, b):
            if pk not in ready:
                ready[pk] = comparable(texts[pk])
        similarity = score(ready[a], ready[b])
        if similarity >= THRESHOLD:
            found.append(NearDuplicate(aspect_id=a, other_id=b, similarity=round(similarity, 1)))
    return found


def refresh(aspect_ids: Sequence[int]) -> None:
    """Bands and pairs of these ASM written again from their current text (gone ones drop)."""
    ids = sorted(set(aspect_ids))
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        AspectBand.objects.filter(aspect_id__in=chunk).delete()
        NearDuplicate.objects.filter(aspect_id__in=chunk).delete()
        NearDuplicate.objects.filter(other_id__in=chunk).delete()
        texts = _texts(chunk)
        present = sorted(texts)
        bands = dict(zip(present, signature_bands([texts[pk] for pk in present]), strict=True))
        rows = [
            AspectBand(aspect_id=pk, band=n, value=value)
            for pk in present
            for n, value in enumerate(bands[pk])
        ]
        wanted = {(row.band, row.value) for row in rows}
        members: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        values = sorted({value for _b, value in wanted})
        for j in range(0, len(values), CHUNK):
            found = AspectBand.objects.filter(value__in=values[j : j + CHUNK]).values_list(
                "aspect_id", "band", "value"
            )
            for pk, band, value in found:
                if (band, value) in wanted:
                    members[(band, value)].add(pk)
        AspectBand.objects.bulk_create(rows, batch_size=CHUNK)
        for row in rows:
            members[(row.band, row.value)].add(row.aspect_id)
        buckets = {key: sorted(pks) for key, pks in members.items()}
        pairs = _candidate_pairs(present, bands, buckets)
        texts.update(_texts({pk for pair in pairs for pk in pair} - texts.keys()))
        NearDuplicate.objects.bulk_create(
            _scored(pairs, texts), batch_size=CHUNK, ignore_conflicts=True
        )


def rebuild() -> int:
    """Every ASM's bands and pairs written again; the number of pairs found."""
    AspectBand.objects.all().delete()
    NearDuplicate.objects.all().delete()
    texts: dict[int, str] = {
        pk: _text(text, statement)
        for pk, text, statement in Aspect.objects.values_list("pk", "text", "statement").iterator(
            CHUNK
        )
    }
    present = sorted(texts)
    members: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    signatures: dict[int, list[int]] = {}
    for i in range(0, len(present), CHUNK):
        chunk = present[i : i + CHUNK]
        rows = []
        for pk, values in zip(chunk, signature_bands([texts[pk] for pk in chunk]), strict=True):
            signatures[pk] = values
            for n, value in enumerate(values):
                members[(n, value)].append(pk)
                rows.append(AspectBand(aspect_id=pk, band=n, value=value))
        AspectBand.objects.bulk_create(rows, batch_size=CHUNK)
    pairs = _candidate_pairs(present, signatures, members)
    found = _scored(pairs, texts)
    NearDuplicate.objects.bulk_create(found, batch_size=CHUNK)
    return len(found)
