from .services import unread_count


def inbox(request) -> dict:
    """The header's unread badge: one COUNT per page for a signed-in user, read only if a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": lambda: unread_count(user=user)}
