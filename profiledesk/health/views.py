from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from profiledesk.accounts.access import public

from .checks import run_checks


@public
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis and a Celery round trip are fine; 503 naming the rest."""
    checks = run_checks()
    failing = sorted(name for name, status in checks.items() if status != "ok")
    body = {"status": "ok" if not failing else "fail", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)
