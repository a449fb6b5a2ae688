"""`{% if item|avatar_kept %}`: the picture an avatar item names is in private storage
(a name the desk writes, its file still there), so the approval card links only to a
picture approvals:avatar will serve — never a broken image (a demo ticket's placeholder
name, a file lost to a failed write)."""

from django import template

from profiledesk.intake.avatars import avatar_file_of

register = template.Library()


@register.filter
def avatar_kept(item) -> bool:
    return avatar_file_of(getattr(item, "new_value", None)) is not None
