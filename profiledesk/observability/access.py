"""Who may scrape /metrics: off unless configured, never open.

`METRICS_TOKEN` (a bearer token, compared in constant time) and/or
`METRICS_ALLOWED_NETWORKS` (CIDR blocks the scraper's address must be in). With neither
set the endpoint does not exist (404). With both, both are required.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def metrics_configured() -> bool:
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS)


def address_allowed(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return True
    # Relayed by a proxy (the load balancer sits in an internal network too): the address
    # is the proxy's, not the scraper's. Prometheus scrapes a node directly.
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in networks)


def token_valid(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
