from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``count`` / ``next`` / ``previous`` / ``results``; ``?page=`` and ``?page_size=`` (at most 1000)."""

    page_size_query_param = "page_size"
    page_size_query_description = "每页条数（最多 1000）。"
    page_query_description = "页码。"
    max_page_size = 1000
