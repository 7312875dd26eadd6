# PostgreSQL refuses UPDATE or DELETE of a locked row unless the transaction carries the unlock flag
# (common.locking). The SQL is frozen here as text: a migration must not import live code. SQLite relies
# on the services' checks.

from django.db import migrations

FORWARD = "\nCREATE OR REPLACE FUNCTION plans_observation_refuse_locked() RETURNS trigger AS $$\nBEGIN\n    IF OLD.locked AND NOT coalesce(current_setting('sxplan.unlock', true), '') = 'on' THEN\n        RAISE EXCEPTION '该数据所在报送已审核通过并锁定，不能修改或删除；如需更正，请省级工作人员重新打开该报送。' USING ERRCODE = 'check_violation';\n    END IF;\n    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n    RETURN NEW;\nEND\n$$ LANGUAGE plpgsql;\nCREATE TRIGGER plans_observation_refuse_locked BEFORE UPDATE OR DELETE ON plans_observation\n    FOR EACH ROW EXECUTE FUNCTION plans_observation_refuse_locked();\n"

REVERSE = 'DROP TRIGGER IF EXISTS plans_observation_refuse_locked ON plans_observation; DROP FUNCTION IF EXISTS plans_observation_refuse_locked();'


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(REVERSE), elidable=False)]
