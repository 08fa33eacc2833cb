"""Rejections keep their template apart from their values, so a page translates them whole."""

from mejora.annex.document import AnnexRejected
from mejora.annex.limits import over_limit
from mejora.annex.messages import Message, Text

ENGLISH = {
    "El archivo pasa el límite de {what} ({limit}); no se leyó. {advice}.": (
        "The file is over the limit of {what} ({limit}); it was not read. {advice}."
    ),
    "filas": "rows",
    "Corte el archivo": "Cut the file",
}


def english(template: str) -> str:
    return ENGLISH.get(template, template)


def test_a_rejection_reads_in_spanish_and_translates_with_its_nested_parts():
    rejection = over_limit("filas", 200_000, advice="Corte el archivo")
    assert str(rejection) == (
        "El archivo pasa el límite de filas (200 000); no se leyó. Corte el archivo."
    )
    assert rejection.message.translated(english) == (
        "The file is over the limit of rows (200 000); it was not read. Cut the file."
    )


def test_a_message_survives_a_jobs_json_row():
    rejection = over_limit("filas", 10, advice="Corte el archivo")
    kept = Message.from_dict(rejection.message.as_dict())
    assert kept == rejection.message
    assert kept.translated(english).startswith("The file is over the limit of rows (10)")
    assert rejection.message.as_dict()["text"] == str(rejection)


def test_a_plain_message_quoting_braces_from_a_file_is_kept_as_written():
    rejection = AnnexRejected("La columna «{x}» no es de ningún anexo.")
    assert str(rejection) == "La columna «{x}» no es de ningún anexo."
    assert rejection.message.translated(english) == str(rejection)


def test_values_are_not_translated_only_templates():
    # A program named like a catalogue entry stays as the file wrote it.
    message = Message("El programa {name}.", {"name": "filas"})
    assert message.translated(english) == "El programa filas."


def test_a_place_in_the_file_is_a_string_that_still_translates():
    place = Text("línea {number}", number=12)
    assert place == "línea 12"
    assert {"where": place} == {"where": "línea 12"}  # a finding's JSON keeps the Spanish
    message = Message("{where}: la fila no tiene ASM.", {"where": place})
    english = {
        "línea {number}": "line {number}",
        "{where}: la fila no tiene ASM.": "{where}: no ASM.",
    }
    assert message.translated(lambda t: english.get(t, t)) == "line 12: no ASM."
    assert Message.from_dict(message.as_dict()).translated(lambda t: english.get(t, t)) == (
        "line 12: no ASM."
    )
