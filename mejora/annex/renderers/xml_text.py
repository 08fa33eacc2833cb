"""Text as XML 1.0 can carry it, for the renderers that write their parts' XML themselves."""

import re

# Control characters but tab and the line breaks, lone surrogates, and U+FFFE and U+FFFF: not
# even a character reference may stand for them.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_non_xml(text: str) -> str:
    """The text without the characters an XML file cannot hold at all."""
    return _NOT_XML.sub("", text)
