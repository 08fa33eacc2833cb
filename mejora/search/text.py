"""Spanish words as search sees them: without accents, lower case, stemmed.

SQLite's FTS5 has no Spanish stemmer, so the indexed text and the query are both stemmed
here with Snowball's Spanish algorithm, the one PostgreSQL's `spanish` configuration uses;
the highlighter marks a word of the text when its stem is one the query asked for.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import Stemmer

WORD = re.compile(r"\w+", re.UNICODE)
# Control characters never reach the page: they would also confuse the snippet's markers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("spanish")


class _Folded(dict):
    """Each character without its diacritics, worked out once and kept (str.translate)."""

    def __missing__(self, char: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(char))
        folded = self[char] = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLDED = _Folded()


def fold(text: str) -> str:
    """Lower case without diacritics: 'Diagnóstico' → 'diagnostico' (ñ becomes n, as unaccent)."""
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_FOLDED)


def clean(text: str) -> str:
    return _CONTROL.sub(" ", text)


def stems(text: str) -> list[str]:
    """The stems of the words of a text, in order."""
    return _stemmer().stemWords(WORD.findall(fold(text)))


def indexed_terms(text: str) -> str:
    """What the SQLite index holds for a text: its stems, space-separated."""
    return " ".join(stems(text))


def fts5_query(query: str) -> str:
    """An FTS5 MATCH expression requiring every stem of the query; '' when it has no word.

    Each stem is quoted, so nothing a person types is read as FTS5 syntax.
    """
    wanted = dict.fromkeys(stems(query))
    return " ".join(f'"{stem}"' for stem in wanted)


def highlight(text: str, query: str, *, width: int = 240) -> str:
    """An HTML snippet of the text around its first match, each matching word in <mark>.

    Everything of the text is escaped; only the <mark> tags are ours.
    """
    wanted = set(stems(query))
    text = clean(text)
    words = list(WORD.finditer(text))
    stemmed = _stemmer().stemWords([fold(m.group()) for m in words])
    hits = [m for m, stem in zip(words, stemmed, strict=True) if stem in wanted]
    start = 0
    if hits and hits[0].start() > width // 3:
        start = hits[0].start() - width // 3
        # Start at a word's beginning, not in the middle of one.
        following = [m.start() for m in words if m.start() >= start]
        start = following[0] if following else start
    end = min(len(text), start + width)
    parts = ["…" if start else ""]
    at = start
    for match in hits:
        if match.start() < start:
            continue
        if match.end() > end:
            break
        parts.append(html.escape(text[at : match.start()]))
        parts.append(f"<mark>{html.escape(match.group())}</mark>")
        at = match.end()
    parts.append(html.escape(text[at:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


def shingles(text: str, size: int = 2) -> set[str]:
    """The text's runs of `size` consecutive stems (its words alone when it is shorter)."""
    words = stems(text)
    if len(words) < size:
        return set(words)
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def comparable(text: str) -> str:
    """The text as near-duplicates are scored: folded words, single-spaced."""
    return " ".join(WORD.findall(fold(text)))
