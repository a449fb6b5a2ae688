"""`{% desk_head %}`, `{% desk_nav %}`, `{% desk_dialogs %}`, `{% desk_idle_warning %}`: the
layout of base.html (and the admin's idle warning), from profiledesk/accounts/layout.py.

One `Layout` a page render, kept in the render context (base.html asks three times); the
context's own request, user and CSRF token, so a template rendered without a request
prints the signed-out layout, as the template tags it replaces did."""

from django import template
from markupsafe import Markup

from profiledesk.accounts.layout import Layout

register = template.Library()

_KEY = "profiledesk.accounts.layout"  # this module's slot in the render context


def _layout(context: template.Context) -> Layout:
    found = context.render_context.get(_KEY)
    if found is None:
        request = context.get("request")
        # The request's user decides the menu (as the old `perms` did); a context's "user"
        # only where there is no request (a page rendered outside one).
        user = getattr(request, "user", None) or context.get("user")
        found = Layout(request=request, user=user, csrf_token=context.get("csrf_token"))
        context.render_context[_KEY] = found
    return found


@register.simple_tag(takes_context=True)
def desk_head(context: template.Context) -> Markup:
    return _layout(context).head()


@register.simple_tag(takes_context=True)
def desk_nav(context: template.Context) -> Markup:
    return _layout(context).nav()


@register.simple_tag(takes_context=True)
def desk_dialogs(context: template.Context) -> Markup:
    return _layout(context).dialogs()


@register.simple_tag(takes_context=True)
def desk_idle_warning(context: template.Context) -> Markup:
    return _layout(context).idle_warning()
