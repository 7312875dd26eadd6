#!/usr/bin/env bash
# Set up and start sxplan on this machine: install, migrate, load the seed data into an empty
# database, create the demo accounts that do not exist yet and serve on http://127.0.0.1:8000/.
# A re-run keeps the data and the accounts as they are. Uses SQLite unless DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-sxplan_site.settings.local}"

echo "==> migrating the database"
$PY manage.py migrate --noinput
echo "==> loading the five plan documents (seeds/data) into an empty database"
$PY manage.py load_seeds --if-empty
echo "==> creating the standing monitoring round templates not created before"
$PY manage.py load_round_templates
echo "==> creating the demo accounts that do not exist yet"
DEMO_PASSWORD="${DEMO_PASSWORD:-sxplan-demo}"
$PY manage.py create_staff sheng --province --password "$DEMO_PASSWORD" --if-missing
$PY manage.py create_staff taiyuan --city 140100 --password "$DEMO_PASSWORD" --if-missing
$PY manage.py create_staff datong --city 140200 --password "$DEMO_PASSWORD" --if-missing
$PY manage.py create_staff guest --viewer --password "$DEMO_PASSWORD" --if-missing
DJANGO_SUPERUSER_PASSWORD="$DEMO_PASSWORD" $PY manage.py shell -c "
import os
from django.contrib.auth import get_user_model
User = get_user_model()
if not User.objects.filter(username='admin').exists():
    User.objects.create_superuser('admin', '', os.environ['DJANGO_SUPERUSER_PASSWORD'])
"
cat <<MSG

sxplan is starting on http://127.0.0.1:8000/
  dashboard     http://127.0.0.1:8000/
  admin         http://127.0.0.1:8000/admin/
  API           http://127.0.0.1:8000/api/v1/
  API docs      http://127.0.0.1:8000/api/docs/

demo accounts (password when first created: $DEMO_PASSWORD)
  admin     superuser: everything, including accounts
  sheng     provincial staff: all data
  taiyuan   太原 city staff (140100)
  datong    大同 city staff (140200)
  guest     viewer: reads everything, changes nothing

MSG
exec $PY manage.py runserver 127.0.0.1:8000
