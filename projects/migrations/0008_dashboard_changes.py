# The dashboards' cached answers are keyed by the count of committed writes to what they read
# (projects.dashboard_cache). A trigger on each of those tables adds a DashboardChange row in the
# writer's transaction. PostgreSQL: once per statement (a COPY of a million rows adds one), folding
# the committed rows into one every 256 rows (one writer at a time; the others do not wait for it).
# SQLite (writers take turns): once per row, folded at once. The SQL is frozen here as text: a
# migration must not import live code.

from django.db import migrations, models

TABLES = (
    "projects_projectrollup",
    "projects_keyproject",
    "projects_projectmention",
    "projects_projectfigures",
    "projects_projectyearfigures",
    "projects_projectreport",
    "projects_batch",
    "projects_batchproject",
    "projects_enterprise",
    "projects_industrybase",
    "projects_basecity",
    "regions_region",
    "regions_zone",
    "regions_zonemembership",
    "regions_zone_industries",
    "regions_park",
    "regions_layoutscheme",
    "plans_industry",
    "plans_plan",
)

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION projects_dashboardchange_add() RETURNS trigger AS $$
DECLARE
    added bigint;
BEGIN
    INSERT INTO projects_dashboardchange (weight) VALUES (1) RETURNING id INTO added;
    IF mod(added, 256) = 0 AND pg_try_advisory_xact_lock(hashtext('projects_dashboardchange')) THEN
        WITH folded AS (DELETE FROM projects_dashboardchange WHERE id < added RETURNING weight)
        INSERT INTO projects_dashboardchange (weight) SELECT sum(weight) FROM folded HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = (
    "CREATE TRIGGER projects_dashboardchange AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION projects_dashboardchange_add();"
)
PG_DROP = "DROP TRIGGER IF EXISTS projects_dashboardchange ON {table};"
SQLITE_TRIGGER = """
CREATE TRIGGER projects_dashboardchange_{table}_{event} AFTER {event} ON {table} BEGIN
    INSERT INTO projects_dashboardchange (weight) VALUES (1);
    UPDATE projects_dashboardchange SET weight = (SELECT sum(weight) FROM projects_dashboardchange)
        WHERE id = (SELECT max(id) FROM projects_dashboardchange);
    DELETE FROM projects_dashboardchange WHERE id < (SELECT max(id) FROM projects_dashboardchange);
END;
"""
EVENTS = ("insert", "update", "delete")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in TABLES:
            schema_editor.execute(PG_TRIGGER.format(table=table))
    elif vendor == "sqlite":
        for table in TABLES:
            for event in EVENTS:
                schema_editor.execute(SQLITE_TRIGGER.format(table=table, event=event))


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(PG_DROP.format(table=table))
        schema_editor.execute("DROP FUNCTION IF EXISTS projects_dashboardchange_add();")
    elif vendor == "sqlite":
        for table in TABLES:
            for event in EVENTS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS projects_dashboardchange_{table}_{event};")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0007_project_city_top"),
        ("regions", "0001_initial"),
        ("plans", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DashboardChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("weight", models.BigIntegerField(default=1, verbose_name="写入次数")),
            ],
            options={
                "verbose_name": "看板数据写入记录",
                "verbose_name_plural": "看板数据写入记录",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
