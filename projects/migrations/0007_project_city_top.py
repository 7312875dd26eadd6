from django.db import migrations


def create_index(apps, schema_editor):
    """Each city's largest projects (the dashboard map) as the first rows of the city's range of this index.

    PostgreSQL only: SQLite has no NULLS LAST in an index, and its small tables need none.
    """
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS projects_project_city_top"
            " ON projects_keyproject (city_id, total_investment DESC NULLS LAST, id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS projects_project_city_top")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_project_figures"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
