"""A staff member's permissions and roles in one query (issue 20).

Every desk page asks `has_perm` (the navigation, the view's checks) and `roles_of` (the
navigation's role badges, the security queue's link): Django's ModelBackend reads the
user's own permissions and their groups' in two queries, and the role names are a
third — three of the queries every desk page paid on top of the bare view. `prime` reads
all three in one plain query and fills the same per-request caches ModelBackend and
`roles_of` keep on the user instance (`_user_perm_cache`, `_group_perm_cache`,
`_perm_cache`, `_role_names`), so that the answers are ModelBackend's own: a hypothesis
test compares them for any mix of groups, direct permissions, active and superuser
flags. Superusers and inactive users are left to Django (ModelBackend's special cases).
Nothing is kept beyond the request: the user instance is the request's.
"""

import functools
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

_CACHES = ("_user_perm_cache", "_group_perm_cache", "_perm_cache", "_role_names")


@functools.cache
def _sql() -> str:
    from .models import User

    q = connection.ops.quote_name
    user_perms = q(User.user_permissions.through._meta.db_table)
    user_groups = q(User.groups.through._meta.db_table)
    group_perms = q(Group.permissions.through._meta.db_table)
    group = q(Group._meta.db_table)
    permission, content_type = q(Permission._meta.db_table), q(ContentType._meta.db_table)
    named = (
        f"JOIN {permission} p ON p.id = x.permission_id "
        f"JOIN {content_type} ct ON ct.id = p.content_type_id"
    )
    # Table names from the models' metadata, quoted; the user id is a parameter.
    return (
        f"SELECT 'u', ct.app_label, p.codename FROM {user_perms} x {named} "  # noqa: S608
        f"WHERE x.user_id = %s "
        f"UNION ALL SELECT 'g', ct.app_label, p.codename FROM {user_groups} ug "
        f"JOIN {group_perms} x ON x.group_id = ug.group_id {named} WHERE ug.user_id = %s "
        f"UNION ALL SELECT 'r', g.name, CAST(NULL AS varchar(100)) FROM {user_groups} ug "
        f"JOIN {group} g ON g.id = ug.group_id WHERE ug.user_id = %s"
    )


def prime(user: Any) -> None:
    """Fill the user's permission and role caches in one query, unless one of them is
    filled already (then each is read the usual way when asked) or the user is one
    ModelBackend treats apart (anonymous, inactive, superuser)."""
    if (
        not getattr(user, "is_authenticated", False)
        or not user.is_active
        or user.is_superuser
        or any(hasattr(user, name) for name in _CACHES)
    ):
        return
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [user.pk, user.pk, user.pk])
        rows = cursor.fetchall()
    own = {f"{app}.{codename}" for kind, app, codename in rows if kind == "u"}
    groups = {f"{app}.{codename}" for kind, app, codename in rows if kind == "g"}
    user._user_perm_cache = own
    user._group_perm_cache = groups
    user._perm_cache = own | groups
    user._role_names = {name for kind, name, _ in rows if kind == "r"}
