import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxplan_site.settings.local")

app = Celery("sxplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
