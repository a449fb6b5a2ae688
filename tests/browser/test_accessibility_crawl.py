"""Every page each role can reach, checked by axe-core at WCAG 2.2 AA: zero violations.

The crawl starts at the desk's home and follows the links each role is shown (the
navigation, the queue's rows, a profile's history, the admin's lists, their rows and
"Add" pages), one page a route: a template is what fails a rule, not its data. The data
is the demo's own seed (two clients, their staff, customers and tickets in every state),
so the pages are the ones a newcomer sees after `make run`.
"""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse
from playwright.sync_api import Browser, Page

from profiledesk.accounts.roles import Role
from profiledesk.demo.staff import DEMO_PASSWORD
from profiledesk.tickets.models import Ticket
from tests.browser.axe import Violation, axe_violations
from tests.browser.conftest import (
    SCREENSHOTS,
    TIMEOUT_MS,
    VIEWPORT,
    sign_in,
    sign_in_with_password,
)

pytestmark = pytest.mark.browser

# Links the crawl does not follow: files, the customer's side (their own test), the
# machine interfaces, and leaving the desk.
SKIP = re.compile(
    r"^/(static|media|api|inbound|confirm|healthz)\b|/download/|/readable/|\.csv\b|/logout|"
    r"/admin/(logout|password_change|r/|jsi18n)"
)
# A bound on a runaway crawl; reaching it fails the test (pages would go unchecked).
MAX_PAGES_PER_ROLE = 200


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEMO_MODE = True
    call_command(
        "seed_demo",
        customers=12,
        tickets=40,
        jobs=1,
        logins_file=tmp_path / "logins.txt",
        stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed with the process
    )


def route_of(path: str) -> str | None:
    """One key a template: the URL pattern's name (the admin's names carry the model)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else str(match.url_name)


def crawl(
    page: Page, start: list[str], *, every: list[str] = ()
) -> tuple[list[str], list[Violation], list[str]]:
    """Visit each route once, breadth first from `start`, and each page of `every` (one
    route whose page differs by its data: a ticket in each state); axe every page."""
    origin = urlsplit(page.url)
    seen_routes: set[str] = set()
    queue = deque([*start, *every])
    visited: list[str] = []
    violations: list[Violation] = []
    broken: list[str] = []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        route = route_of(urlsplit(path).path)
        if path in visited:
            continue
        if path not in every and (route is None or route in seen_routes or SKIP.search(path)):
            continue
        seen_routes.add(str(route))
        visited.append(path)
        response = page.goto(path)
        if response is None or response.status >= 400:
            broken.append(f"{path}: HTTP {response.status if response else '?'}")
            continue
        page.wait_for_load_state("networkidle")
        violations += axe_violations(page)
        # getAttribute, not a.href: an SVG link's href (the dashboards' bars) is an object.
        hrefs = page.eval_on_selector_all(
            "a[href]",
            "links => links.map(a => new URL(a.getAttribute('href'), document.baseURI).href)",
        )
        for href in hrefs:
            link = urlsplit(href)
            if link.netloc != origin.netloc or not link.path:
                continue
            queue.append(link.path + (f"?{link.query}" if link.query else ""))
    return visited, violations, broken


def tickets_in_every_state(user) -> list[str]:
    """One ticket page per state the role may open: each state shows other panels."""
    if not user.has_perm("tickets.view_ticket"):
        return []
    pages = {}
    for ticket in Ticket.objects.filter(client__memberships__user=user).order_by("pk"):
        pages.setdefault(ticket.state, reverse("tickets:detail", args=[ticket.reference]))
    return list(pages.values())


ROLES = [Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE, Role.SECURITY, Role.DESK_ADMIN]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_page_a_role_reaches_passes_axe_at_wcag_22_aa(
    browser: Browser, live_server, demo, role
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=f"northwind.{role.value}")
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, user, password=DEMO_PASSWORD)
        start = ["/", "/accounts/sessions/"]
        if role == Role.DESK_ADMIN:
            start += ["/admin/"]
        if user.has_perm("audit.view_history"):
            # The audit-events list is reached from the dashboards' figures, not the nav.
            start += [reverse("audit:events")]
        visited, violations, broken = crawl(page, start, every=tickets_in_every_state(user))
        SCREENSHOTS.joinpath("a11y").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "a11y" / f"crawl-last-{role.value}.png")
    finally:
        context.close()
    assert len(visited) >= 3, f"the crawl found almost nothing: {visited}"
    if user.has_perm("dashboards.view_dashboard"):  # reached from the navigation
        assert any(path.startswith("/dashboard/") for path in visited), visited
    assert len(visited) < MAX_PAGES_PER_ROLE, "the crawl stopped at its bound: raise it"
    assert broken == [], "links that lead nowhere:\n" + "\n".join(broken)
    assert violations == [], f"{len(violations)} axe violations over {len(visited)} pages:\n" + (
        "\n".join(map(str, violations))
    )


def test_the_sign_in_pages_and_the_customers_page_pass_axe(browser: Browser, live_server, agent):
    """The pages before the desk: sign-in (and its errors), the second factor, and the
    customer's "this wasn't me" page (an unknown link: the page a customer may see)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    violations: list[Violation] = []
    try:
        page.goto("/accounts/login/")
        violations += axe_violations(page)
        page.get_by_role("button", name="Continue").click()  # empty: the errors shown
        violations += axe_violations(page)
        sign_in_with_password(page, agent)
        violations += axe_violations(page)
        for language in ("en", "es"):
            page.set_extra_http_headers({"Accept-Language": language})
            page.goto("/confirm/report/not-a-token")
            violations += axe_violations(page)
    finally:
        context.close()
    assert violations == [], "\n".join(map(str, violations))
