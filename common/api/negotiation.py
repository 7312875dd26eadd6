from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation


class StrictFormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, where ``?format=`` names a format: an empty one is a format no renderer serves (404).

    DRF reads an empty ``?format=`` as no format at all and answers JSON, although the schema's
    ``format`` takes only the names it lists.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        if not format_suffix and request.query_params.get(self.settings.URL_FORMAT_OVERRIDE, None) == "":
            raise Http404
        return super().select_renderer(request, renderers, format_suffix)
