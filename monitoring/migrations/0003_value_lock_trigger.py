# PostgreSQL refuses UPDATE or DELETE of a locked row unless the transaction carries the unlock flag
# (common.locking). The SQL is frozen here as text: a migration must not import live code. SQLite relies
# on the services' checks.

from django.db import migrations

FORWARD = "\nCREATE OR REPLACE FUNCTION monitoring_submissionvalue_refuse_locked() RETURNS trigger AS $$\nDECLARE\n    v_state varchar;\n    v_city bigint;\n    v_round bigint;\n    v_closes date;\nBEGIN\n    IF coalesce(current_setting('sxplan.unlock', true), '') = 'on' THEN\n        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n        RETURN NEW;\n    END IF;\n    SELECT s.state, s.city_id, r.id, r.closes_on INTO v_state, v_city, v_round, v_closes\n        FROM monitoring_submission s JOIN monitoring_round r ON r.id = s.round_id\n        WHERE s.id = OLD.submission_id;\n    IF v_state = 'approved' OR (\n        v_closes < (now() AT TIME ZONE 'Asia/Shanghai')::date AND NOT EXISTS (\n            SELECT 1 FROM monitoring_lockexception e\n            WHERE e.round_id = v_round AND e.city_id = v_city AND e.until >= (now() AT TIME ZONE 'Asia/Shanghai')::date\n        )\n    ) THEN\n        RAISE EXCEPTION '该报送已审核通过或填报任务已关闭，数值不能修改或删除。' USING ERRCODE = 'check_violation';\n    END IF;\n    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n    RETURN NEW;\nEND\n$$ LANGUAGE plpgsql;\nCREATE TRIGGER monitoring_submissionvalue_refuse_locked BEFORE UPDATE OR DELETE ON monitoring_submissionvalue\n    FOR EACH ROW EXECUTE FUNCTION monitoring_submissionvalue_refuse_locked();\n"

REVERSE = 'DROP TRIGGER IF EXISTS monitoring_submissionvalue_refuse_locked ON monitoring_submissionvalue; DROP FUNCTION IF EXISTS monitoring_submissionvalue_refuse_locked();'


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(REVERSE), elidable=False)]
