from django.db import connection


class QueryCountMiddleware:
    """Adds ``X-Query-Count``: the SQL queries this request ran (all of them, from the session on)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            # A streaming or lazily rendered body would run queries later; these views render eagerly.
        response["X-Query-Count"] = str(count)
        return response
