"""The knowledge base's PostgreSQL index gets a small ranking document (the title, weight A, and the opening of the
body, weight B) kept inline in the row: ``ts_rank`` over the full ``document`` of every match read each TOASTed
tsvector (kb/search.py). Nothing on SQLite (FTS5 ranks with bm25 from its own index)."""

from django.db import migrations

RANK_CHARS = 1000  # kb.search.RANK_CHARS when this migration was written

FORWARD = [
    "ALTER TABLE service_kb_search ADD COLUMN rank_document tsvector NOT NULL DEFAULT ''::tsvector",
    "UPDATE service_kb_search s SET rank_document = setweight(to_tsvector('simple', v.search_title), 'A') || "
    f"setweight(to_tsvector('simple', left(v.search_body, {RANK_CHARS})), 'B') "
    "FROM service_article a JOIN service_articleversion v ON v.id = a.current_version_id "
    "WHERE a.id = s.article_id",
    # kept in the row (compressed if need be) rather than in the TOAST table
    "ALTER TABLE service_kb_search ALTER COLUMN rank_document SET STORAGE MAIN",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE service_kb_search DROP COLUMN rank_document")


class Migration(migrations.Migration):

    dependencies = [
        ("service", "0007_merge_20261206_1059"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
