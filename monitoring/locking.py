"""The PostgreSQL trigger guarding submitted values (the services make the same checks, on every database)."""

from common.locking import UNLOCK_SETTING, local_today_sql

from .choices import SubmissionStateChoices

VALUE_LOCKED_MESSAGE = "该报送已审核通过或填报任务已关闭，数值不能修改或删除。"


def value_lock_trigger_sql() -> tuple[str, str]:
    forward = f"""
CREATE OR REPLACE FUNCTION monitoring_submissionvalue_refuse_locked() RETURNS trigger AS $$
DECLARE
    v_state varchar;
    v_city bigint;
    v_round bigint;
    v_closes date;
BEGIN
    IF coalesce(current_setting('{UNLOCK_SETTING}', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    SELECT s.state, s.city_id, r.id, r.closes_on INTO v_state, v_city, v_round, v_closes
        FROM monitoring_submission s JOIN monitoring_round r ON r.id = s.round_id
        WHERE s.id = OLD.submission_id;
    IF v_state = '{SubmissionStateChoices.APPROVED}' OR (
        v_closes < {local_today_sql()} AND NOT EXISTS (
            SELECT 1 FROM monitoring_lockexception e
            WHERE e.round_id = v_round AND e.city_id = v_city AND e.until >= {local_today_sql()}
        )
    ) THEN
        RAISE EXCEPTION '{VALUE_LOCKED_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER monitoring_submissionvalue_refuse_locked BEFORE UPDATE OR DELETE ON monitoring_submissionvalue
    FOR EACH ROW EXECUTE FUNCTION monitoring_submissionvalue_refuse_locked();
"""
    reverse = (
        "DROP TRIGGER IF EXISTS monitoring_submissionvalue_refuse_locked ON monitoring_submissionvalue; "
        "DROP FUNCTION IF EXISTS monitoring_submissionvalue_refuse_locked();"
    )
    return forward, reverse
