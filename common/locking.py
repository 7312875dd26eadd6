"""Locked rows: what an approved monitoring submission froze (observations, project reports, submitted values).

The services refuse to change a locked row; on PostgreSQL a trigger refuses it too, whoever writes
(a raw ``UPDATE`` included), unless the transaction carries the unlock flag that only the services
which reopen or republish approved data set (``allow_locked_writes``). SQLite relies on the services.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

UNLOCK_SETTING = "sxplan.unlock"
LOCKED_MESSAGE = "该数据所在报送已审核通过并锁定，不能修改或删除；如需更正，请省级工作人员重新打开该报送。"


def allow_locked_writes() -> None:
    """Let the current transaction change locked rows (PostgreSQL: ``SET LOCAL sxplan.unlock = 'on'``)."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("allow_locked_writes() must run inside a transaction (it lasts until its end).")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [UNLOCK_SETTING])


def _unlocked_sql() -> str:
    return f"coalesce(current_setting('{UNLOCK_SETTING}', true), '') = 'on'"


def locked_row_trigger_sql(table: str) -> tuple[str, str]:
    """Forward and reverse SQL of a trigger refusing UPDATE or DELETE of a ``locked`` row of ``table``."""
    function = f"{table}_refuse_locked"
    forward = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    IF OLD.locked AND NOT {_unlocked_sql()} THEN
        RAISE EXCEPTION '{LOCKED_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    reverse = f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    return forward, reverse


def local_today_sql() -> str:
    """Today in the site's time zone, in SQL (the connection itself runs in UTC)."""
    return f"(now() AT TIME ZONE '{settings.TIME_ZONE}')::date"


def refuse_locked(model, pks) -> None:
    """Refuse a write to rows of ``model`` that are locked (as stored, whatever an instance in memory says)."""
    if model._default_manager.filter(pk__in=list(pks), locked=True).exists():
        raise ValidationError(LOCKED_MESSAGE)


def postgresql_sql_operation(forward: str, reverse: str):
    """A migration operation running SQL on PostgreSQL only (SQLite relies on the services)."""
    from django.db import migrations

    def run(sql):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(forward), run(reverse), elidable=False)
