"""The OpenAPI schema, generated once per process and language.

The schema is derived from the code alone (``SERVE_PUBLIC``: every user gets the same one), yet
drf-spectacular builds it again on every request: about 1.5 s of a worker's time for each visit
of /api/docs/ or /api/redoc/ and each client that fetches it. It is kept here after the first
build, per language (the descriptions are translated) and API version; a new deployment starts
new processes and so builds the new schema.
"""

from __future__ import annotations

import threading

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

_schemas: dict[tuple[str | None, str | None], dict] = {}
_lock = threading.Lock()


class CachedSchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (translation.get_language(), version)
        schema = _schemas.get(key)
        if schema is None:
            with _lock:  # one build at a time: a second request waits for the first's schema
                schema = _schemas.get(key)
                if schema is None:
                    generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
                    schema = _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )


def forget_schemas() -> None:
    """Drop the kept schemas (tests that change what the schema is built from)."""
    _schemas.clear()
