"""Markers for the few views that are reachable without a verified second factor.

Every other view requires a signed-in staff member with a verified TOTP device
(RequireSecondFactorMiddleware): a new view is protected unless it says otherwise.
"""

from collections.abc import Callable
from typing import Any, TypeVar

_View = TypeVar("_View", bound=Callable[..., Any])


def public(view: _View) -> _View:
    """Reachable by anyone (sign-in page, health check, signed customer links)."""
    view.desk_access = "public"  # type: ignore[attr-defined]
    return view


def password_step(view: _View) -> _View:
    """Reachable after the password step, before the second factor (the OTP pages)."""
    view.desk_access = "password_step"  # type: ignore[attr-defined]
    return view


def access_of(view: Callable[..., Any]) -> str:
    access: str = getattr(view, "desk_access", "verified")
    return access
