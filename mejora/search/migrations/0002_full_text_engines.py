"""The engines behind the index: PostgreSQL's Spanish configuration without accents and a
GIN index on the tsvector; SQLite's FTS5 table over the stemmed terms, kept by triggers."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

POSTGRES = [
    (
        """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'spanish_unaccent') THEN
            CREATE TEXT SEARCH CONFIGURATION spanish_unaccent (COPY = spanish);
            ALTER TEXT SEARCH CONFIGURATION spanish_unaccent
              ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
          END IF;
        END $$;
        """,
        "",
    ),
    (
        "CREATE INDEX search_entry_document ON search_searchentry USING gin (document)",
        "DROP INDEX IF EXISTS search_entry_document",
    ),
]

SQLITE = [
    (
        "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='search_searchentry', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "DROP TABLE IF EXISTS search_fts",
    ),
    (
        "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_searchentry BEGIN "
        "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
        "DROP TRIGGER IF EXISTS search_entry_ai",
    ),
    (
        "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_searchentry BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
        "END",
        "DROP TRIGGER IF EXISTS search_entry_ad",
    ),
    (
        "CREATE TRIGGER search_entry_au AFTER UPDATE OF terms ON search_searchentry BEGIN "
        "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
        "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
        "DROP TRIGGER IF EXISTS search_entry_au",
    ),
]


def _run(statements: list[tuple[str, str]], vendor: str, backwards: bool = False):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != vendor:
            return
        chosen = reversed(statements) if backwards else statements
        for forward, backward in chosen:
            sql = backward if backwards else forward
            if sql:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_index_and_near_duplicates")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(
            _run(POSTGRES, "postgresql"), _run(POSTGRES, "postgresql", backwards=True)
        ),
        migrations.RunPython(_run(SQLITE, "sqlite"), _run(SQLITE, "sqlite", backwards=True)),
    ]
