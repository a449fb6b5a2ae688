from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .roles import roles_of


def desk(request):
    """What the layout needs on every page: the signed-in staff member's roles, the idle
    limit the sign-out warning counts down from, and whether the demo's Dev outbox is
    theirs to open (DEBUG only, desk admins: `messaging.views.dev_outbox`).

    The roles are read only when a template asks (`in`, a loop): the layout prints them,
    but the htmx partials (the queue's list every 20 s) do not, and should not pay the
    query (issue 20)."""
    user = getattr(request, "user", None)
    return {
        "desk_roles": SimpleLazyObject(lambda: roles_of(user)),
        "idle_seconds": int(settings.SESSION_IDLE_TIMEOUT.total_seconds()),
        "idle_warning_seconds": int(settings.SESSION_IDLE_WARNING.total_seconds()),
        "dev_outbox": bool(
            settings.DEBUG
            and user is not None
            and user.is_authenticated
            and user.has_perm("messaging.view_message")
        ),
    }
