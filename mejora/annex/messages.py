"""Messages the annex readers give a person: Spanish, and still translatable where shown.

`mejora.annex` knows nothing of Django, so it cannot ask for the reader's language. A message
keeps its template, marked for the translation catalogue with `gettext_noop`, and the values
it names; `str()` is the Spanish, and the page or command that shows it passes its own
`gettext` to `translated`, so a browser set to English reads the whole message in English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def gettext_noop(template: str) -> str:
    """Mark `template` for the catalogue (a keyword `makemessages` looks for); it is unchanged."""
    return template


@dataclass(frozen=True)
class Message:
    """A template with `{name}` fields and their values; a value may be a Message itself
    (a place in the file such as 'línea 12' is translated too)."""

    template: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        # A template without fields is taken as written: it may quote braces from the file.
        return self.template.format(**self.fields) if self.fields else self.template

    def translated(self, gettext: Callable[[str], str]) -> str:
        if not self.fields:
            return gettext(self.template)
        values = {
            name: _message_of(value).translated(gettext) if _message_of(value) else value
            for name, value in self.fields.items()
        }
        return gettext(self.template).format(**values)

    def as_dict(self) -> dict[str, Any]:
        """JSON for a job's row: the Spanish too, for whoever reads the row itself."""
        return {
            "template": self.template,
            "fields": {
                name: _message_of(value).as_dict() if _message_of(value) else value
                for name, value in self.fields.items()
            },
            "text": str(self),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        fields = {
            name: cls.from_dict(value) if isinstance(value, Mapping) else value
            for name, value in data.get("fields", {}).items()
        }
        return cls(data["template"], fields)


class Text(str):
    """A string that remembers its template: a place in a file ('línea 12') is Spanish wherever
    a string goes (a finding's JSON, a log), and translated inside a message that names it."""

    message: Message

    def __new__(cls, template: str, /, **fields: Any) -> Text:
        message = Message(template, fields)
        text = super().__new__(cls, str(message))
        text.message = message
        return text


def _message_of(value: object) -> Message | None:
    if isinstance(value, Message):
        return value
    return value.message if isinstance(value, Text) else None


def joined(parts: list[Message]) -> Message:
    """Sentences said one after another, each translated on its own."""
    return Message(
        " ".join(f"{{part{n}}}" for n in range(len(parts))),
        {f"part{n}": part for n, part in enumerate(parts)},
    )
