# PostgreSQL refuses UPDATE or DELETE of a submitted value whose submission is approved, or whose round
# is closed without a lock exception for its city, unless the transaction carries the unlock flag.

from django.db import migrations

from common.locking import postgresql_sql_operation
from monitoring.locking import value_lock_trigger_sql


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
    ]

    operations = [postgresql_sql_operation(*value_lock_trigger_sql())]
