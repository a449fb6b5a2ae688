from .roles import roles_of


def desk(request):
    """What the layout needs on every page: the signed-in staff member's roles."""
    return {"desk_roles": roles_of(getattr(request, "user", None))}
