"""`{% if item|avatar_kept %}`: the picture an avatar item names is in private storage
(a name the desk writes, its file still there), so the approval card links only to a
picture approvals:avatar will serve — never a broken image (a demo ticket's placeholder
name, a file lost to a failed write). While the file store is down, the card still shows
(its image answers 503) rather than the whole queue failing."""

from django import template

from profiledesk.intake.avatars import avatar_file_of
from profiledesk.storage import StorageUnavailable

register = template.Library()


@register.filter
def avatar_kept(item) -> bool:
    try:
        return avatar_file_of(getattr(item, "new_value", None)) is not None
    except StorageUnavailable:
        return True
