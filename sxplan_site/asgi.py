import os

from django.core.asgi import get_asgi_application

# A server or worker started without DJANGO_SETTINGS_MODULE runs with the production settings,
# which refuse to start without SECRET_KEY; developers get the local settings from `make run`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxplan_site.settings.production")
application = get_asgi_application()

# As wsgi.py: URL lookups and the admin's templates are prepared as the process starts (sxplan_site.warmup).
from sxplan_site.warmup import warm_up  # noqa: E402 (needs the settings and apps loaded just above)

warm_up()
