"""Known passwords and TOTP secrets exist only in demo mode (settings.DEMO_MODE)."""

from django.conf import settings
from django.core.management.base import CommandError


def require_demo_mode(command: str) -> None:
    if not getattr(settings, "DEMO_MODE", False):
        raise CommandError(
            f"{command} only runs in demo mode: it creates or reveals known passwords and "
            "TOTP secrets. Set DEMO_MODE=1 (profiledesk.settings.demo does) on a throwaway "
            "database, never in production."
        )
