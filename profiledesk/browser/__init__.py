"""Browser-side defences: what a staff member's browser may do with the desk's pages.

Its own folder rather than a corner of `accounts/` (sign-in) or `privacy/` (what a value
looks like): these rules hold for every response, signed in or not, and for every
template. `middleware.py` keeps pages with customer data out of browser caches (the
Content-Security-Policy and Permissions-Policy come from django-csp and
django-permissions-policy, configured in settings); `markup_check.py` is the `make lint`
rule that nothing but constants is marked safe.
"""
