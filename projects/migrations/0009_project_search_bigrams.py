from django.db import migrations

# Two-character terms (煤层, 太钢) have no trigram, so the trigram index cannot find them and their
# search read the whole table. This index holds each search text's distinct two-character
# substrings: ``projects_bigrams(search_text) @> ARRAY['煤层']`` finds exactly the rows whose text
# contains the term (pg_bigm does the same, but it is not packaged for Debian's PostgreSQL).
FUNCTION = """
    CREATE OR REPLACE FUNCTION projects_bigrams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
          FROM generate_series(1, length(value) - 1) AS i $$"""


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS projects_project_search_bigram"
            " ON projects_keyproject USING gin (projects_bigrams(search_text))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS projects_project_search_bigram")
        schema_editor.execute("DROP FUNCTION IF EXISTS projects_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_dashboard_changes"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
