"""Error pages that leave a trace: a permission denial is an audit event (PCI DSS 10.2)."""

from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

from audit.services import audit_record


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: every PermissionDenied a view or access helper raises lands here.

    Only signed-in staff are recorded: anonymous visitors are sent to the sign-in page
    before any view runs, so a 403 here is a staff member reaching past their role.
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        match = request.resolver_match
        audit_record(
            action="access.denied",
            actor=user,
            data={
                "path": _safe_path(request),
                "method": request.method,
                "view": match.view_name if match else "",
            },
            request=request,
        )
    return defaults.permission_denied(request, exception, template_name="403.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a refused form post is a 403 too; Django's page, audited."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        audit_record(
            action="access.denied",
            actor=user,
            data={"path": _safe_path(request), "method": request.method, "csrf": reason[:200]},
            request=request,
        )
    return django_csrf_failure(request, reason=reason)


def _safe_path(request: HttpRequest) -> str:
    # A URL that carries a signed token (a customer's "this wasn't me" link) is recorded
    # by its route, so that the log never holds a usable link.
    match = request.resolver_match
    if match is not None and "token" in match.kwargs:
        return match.route[:500]
    return request.path[:500]
