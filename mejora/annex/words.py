"""Comparing Spanish words as people mean them: accents, case and spacing aside."""

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse every run of whitespace (tabs, newlines, non-breaking spaces) to one space."""
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=8192)  # area names and headings repeat on every row
def fold(text: str) -> str:
    """A key for comparison: no accents, no case, single spaces ('Área ' == 'area')."""
    if text.isascii():
        return squash(text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return squash(bare).casefold()
