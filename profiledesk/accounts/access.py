"""Markers for the few views that are reachable without a verified second factor.

Every other view requires a signed-in staff member with a verified TOTP device
(RequireSecondFactorMiddleware): a new view is protected unless it says otherwise.
"""

from collections.abc import Callable


def public(view: Callable) -> Callable:
    """Reachable by anyone (sign-in page, health check, signed customer links)."""
    view.desk_access = "public"  # type: ignore[attr-defined]
    return view


def password_step(view: Callable) -> Callable:
    """Reachable after the password step, before the second factor (the OTP pages)."""
    view.desk_access = "password_step"  # type: ignore[attr-defined]
    return view


def access_of(view: Callable) -> str:
    return getattr(view, "desk_access", "verified")
