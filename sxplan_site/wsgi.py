import os

from django.core.wsgi import get_wsgi_application

# A server or worker started without DJANGO_SETTINGS_MODULE runs with the production settings,
# which refuse to start without SECRET_KEY; developers get the local settings from `make run`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxplan_site.settings.production")
application = get_wsgi_application()

# Each worker builds its URL lookups and compiles the admin's templates as it starts, not on a visitor's
# first request (sxplan_site.warmup).
from sxplan_site.warmup import warm_up  # noqa: E402 (needs the settings and apps loaded just above)

warm_up()
