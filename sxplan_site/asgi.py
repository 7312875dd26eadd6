import os

from django.core.asgi import get_asgi_application

# A server or worker started without DJANGO_SETTINGS_MODULE runs with the production settings,
# which refuse to start without SECRET_KEY; developers get the local settings from `make run`.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxplan_site.settings.production")
application = get_asgi_application()
