from django.utils.functional import SimpleLazyObject

from .layout import may_open_dev_outbox
from .roles import roles_of


def desk(request):
    """What the desk's templates ask of the signed-in staff member besides the layout
    (`accounts/layout.py` draws base.html's): their roles (security's claim button) and
    whether the demo's Dev outbox is theirs to open (the admin's link).

    Each read only when a template asks (`in`, a loop, `if`): the htmx partials (the
    queue's list every 20 s) print none of them and should not pay a query (issue 20)."""
    user = getattr(request, "user", None)
    return {
        "desk_roles": SimpleLazyObject(lambda: roles_of(user)),
        "dev_outbox": SimpleLazyObject(lambda: may_open_dev_outbox(user)),
    }
