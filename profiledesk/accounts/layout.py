"""What `base.html` prints around every desk page (issue 20): the static files, the
navigation with its badges, the search box, the keyboard-shortcuts and idle-sign-out
dialogs — worked out once a request in Python and rendered by the shared Jinja2
environment (autoescape on), instead of ~40 `{% trans %}`, ~15 `{% url %}`, 7 `{% static %}`,
9 permission tags and 3 `{% include %}`s of Django's engine on every page.

What is the same for everyone is kept once a process: the URLs (per script prefix and URL
configuration), the static files' URLs, the words (per language: gettext in the language
the page is rendered in) and the shortcuts dialog, which prints nothing else. **Who sees
which link is decided on every render** from the request's user (`has_perm`: the
permissions Django reads from the database once a request; the roles by `roles_of`,
also once a request); nothing a person sees is kept for another.

The same markup as the Django templates it replaces, byte for byte
(tests/accounts/test_layout_markup.py renders both for every role, active tab, language
and hostile names)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from markupsafe import Markup
from markupsafe import escape as markup_escape

from profiledesk.browser.jinja import jinja_environment

from .roles import roles_of

# The URL names the layout links to: reversed once a process (per script prefix).
_URLS = {
    "home": "home",
    "queue": "tickets:queue",
    "approvals": "approvals:queue",
    "customers": "customers:search",
    "exports": "exports:list",
    "dashboard": "dashboards:supervisor",
    "security": "security:queue",
    "admin": "admin:index",
    "dev_outbox": "messaging:dev_outbox",
    "search": "search",
    "sessions": "accounts:sessions",
    "logout": "accounts:logout",
    "badges": "notifications:badges",
    "notifications": "notifications:list",
    "session_idle": "accounts:session_idle",
    "session_stay": "accounts:session_stay",
}
_STATIC = {
    "favicon": "desk/favicon.svg",
    "bootstrap": "vendor/bootstrap/css/bootstrap.min.css",
    "css": "desk/desk.css",
    "htmx": "vendor/htmx/htmx.min.js",
    "js": "desk/desk.js",
    "shortcuts": "desk/shortcuts.js",
    "idle": "desk/idle.js",
    "badges": "desk/badges.js",
}


def may_open_dev_outbox(user: Any) -> bool:
    """The demo's Dev outbox (`messaging.views.dev_outbox`): DEBUG only, desk admins."""
    return bool(
        settings.DEBUG
        and user is not None
        and user.is_authenticated
        and user.has_perm("messaging.view_message")
    )


def _signed_in(user: Any) -> bool:
    """`user.is_authenticated and user.is_verified` as base.html asked it: the second factor
    passed (django-otp's middleware gives every user `is_verified`)."""
    if user is None or not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    return bool(verified()) if callable(verified) else bool(verified)


@dataclass(frozen=True)
class _Constants:
    urls: dict[str, str]
    static: dict[str, str]
    head: dict[bool, Markup]  # the static files' tags, signed in (idle.js) or not


@lru_cache(maxsize=16)
def _constants(prefix: str, urlconf: str | None) -> _Constants:
    """URLs, static files' URLs and the head's tags of them: fixed for a process once its
    URL configuration and static storage are loaded (`prefix`, `urlconf`: what `reverse`
    depends on)."""
    files = {key: static(path) for key, path in _STATIC.items()}
    head = jinja_environment().get_template("_desk_head.html")
    return _Constants(
        urls={key: reverse(name, urlconf=urlconf) for key, name in _URLS.items()},
        static=files,
        head={
            signed_in: head.make_module({"static": files, "signed_in": signed_in}).__html__()
            for signed_in in (True, False)
        },
    )


@lru_cache(maxsize=8)
def _words_in(language: str | None) -> dict[str, str]:
    """The layout's words in `language` (the catalogues are fixed for a process), escaped
    once here (`{% trans %}` printed the catalogue's text as it is)."""
    words = {
        "skip": _("Skip to content"),
        "desk": _("Desk"),
        "queue": _("Queue"),
        "approvals": _("Approvals"),
        "customers": _("Customers"),
        "exports": _("Exports"),
        "dashboard": _("Dashboard"),
        "security": _("Security queue"),
        "admin": _("Administration"),
        "dev_outbox": _("Dev outbox"),
        "search": _("Search tickets and customers"),
        "search_placeholder": _("PD-…, name, e-mail, phone  ( / )"),
        "sessions": _("My sessions"),
        "sign_out": _("Sign out"),
        "notifications": _("Notifications"),
        "still_there": _("Are you still there?"),
        "stay": _("Stay signed in"),
        "sign_out_now": _("Sign out now"),
        "shortcuts": _("Keyboard shortcuts"),
        "close": _("Close"),
        "no_shortcut_typing": _(
            "No shortcut fires while you are typing in a field. Esc closes this list."
        ),
        "everywhere": _("Everywhere"),
        "go_search": _("Go to the search box"),
        "show_list": _("Show this list"),
        "this_ticket": _("This ticket"),
        "next_step": _(
            "Go to the next step (the wizard's next field, or the button that moves the ticket on)"
        ),
        "claim_ticket": _("Claim the ticket"),
        "write_comment": _("Write a comment"),
        "back_to_queue": _("Back to the queue"),
        "the_queue": _("The queue"),
        "next_previous": _("Next / previous ticket"),
        "open_selected": _("Open the selected ticket"),
        "claim_selected": _("Claim the selected ticket"),
        "access_keys": _(
            "Access keys on this page (Alt+key in Chrome and Edge, Alt+Shift+key in Firefox)"
        ),
    }
    escaped: dict[str, str] = {key: markup_escape(text) for key, text in words.items()}
    # A sentence with its own markup (one msgid, as `{% blocktranslate %}` had it): the
    # template prints the span, each piece of text escaped.
    sentence = _(
        "Nothing has happened in this session for a while. To keep customers' data "
        "safe, you will be signed out in <span data-idle-countdown>two minutes</span>."
    )
    before, _span, rest = sentence.partition("<span data-idle-countdown>")
    countdown, _end, after = rest.partition("</span>")
    escaped |= {
        "idle_before": markup_escape(before),
        "idle_countdown": markup_escape(countdown),
        "idle_after": markup_escape(after),
    }
    return escaped


@lru_cache(maxsize=8)
def _shortcuts_in(language: str | None) -> Markup:
    """The `?` dialog prints only words: the same for everyone in a language."""
    template = jinja_environment().get_template("_shortcuts.html")
    return template.make_module({"t": _words_in(language)}).__html__()


def _forget(**kwargs: Any) -> None:
    # A test that changes the URLs, static storage, languages or DEBUG sees its own.
    _constants.cache_clear()
    _words_in.cache_clear()
    _shortcuts_in.cache_clear()


setting_changed.connect(_forget, dispatch_uid="profiledesk.accounts.layout")


@dataclass(frozen=True, slots=True)
class Menu:
    """Which links the navigation shows this person, and which tab is the page's."""

    queue: bool
    approvals: bool
    customers: bool
    exports: bool
    dashboard: bool
    security: bool
    admin: bool
    dev_outbox: bool
    app: str  # the page's URL namespace ("" when the URL did not resolve)
    url_name: str


def menu_for(user: Any, request: Any) -> Menu:
    """The rules of the old template, one a line, asked of this request's user."""
    perm = user.has_perm
    match = getattr(request, "resolver_match", None)
    return Menu(
        queue=perm("tickets.view_ticket"),
        approvals=perm("approvals.approve_tier1") or perm("approvals.approve_tier2"),
        customers=perm("customers.view_customer"),
        exports=perm("exports.export_evidence"),
        dashboard=perm("dashboards.view_dashboard"),
        security="security" in roles_of(user) and perm("tickets.view_ticket"),
        admin=bool(user.is_staff),
        dev_outbox=may_open_dev_outbox(user),
        app=(match.app_name or "") if match is not None else "",
        url_name=(match.url_name or "") if match is not None else "",
    )


class Layout:
    """The layout of one render of `base.html` (see the module's docstring)."""

    def __init__(self, *, request: Any, user: Any, csrf_token: Any):
        self.request = request
        self.user = user
        self.signed_in = _signed_in(user)
        self.language = translation.get_language()
        # One token a page, the context's own, as `{% csrf_token %}` printed it.
        value = str(csrf_token) if csrf_token else ""
        self.csrf_token = value
        self.csrf_input = bool(value) and value != "NOTPROVIDED"  # as the tag: no input

    @cached_property
    def _constants(self) -> _Constants:
        return _constants(get_script_prefix(), get_urlconf())

    def _render(self, template_name: str, /, **values: Any) -> Markup:
        """Jinja2's output comes back through `__html__`, as Markup (escaped already), which
        the Django template prints as it is: nothing is marked safe by hand."""
        template = jinja_environment().get_template(template_name)
        return template.make_module(
            {
                "urls": self._constants.urls,
                "static": self._constants.static,
                "t": _words_in(self.language),
                "csrf_token": self.csrf_token,
                "csrf_input": self.csrf_input,
                **values,
            }
        ).__html__()

    def head(self) -> Markup:
        return self._constants.head[self.signed_in]

    def nav(self) -> Markup:
        if not self.signed_in:
            return self._render("_desk_nav.html", signed_in=False)
        return self._render(
            "_desk_nav.html",
            signed_in=True,
            menu=menu_for(self.user, self.request),
            # Escaped as Django escapes (the templates' spelling of a quote).
            name=escape(str(self.user)),
            roles=[escape(role) for role in roles_of(self.user)],
        )

    def idle_warning(self) -> Markup:
        return self._render(
            "accounts/_idle_warning.html",
            idle_seconds=int(settings.SESSION_IDLE_TIMEOUT.total_seconds()),
            idle_warning_seconds=int(settings.SESSION_IDLE_WARNING.total_seconds()),
        )

    def dialogs(self) -> Markup:
        if not self.signed_in:
            return markup_escape("")
        return _shortcuts_in(self.language) + "\n  " + self.idle_warning()
