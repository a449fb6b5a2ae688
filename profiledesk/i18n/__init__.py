"""Languages: which one a request is answered in, and the desk's translation catalogues.

The staff desk (every page a staff member, the admin or a client system sees) is English
only, on purpose: a floor works in one language and Django's own Spanish must never mix
into an English page. The customer-facing side (the "this wasn't me" pages, the portal,
the messages a customer receives) is in the customer's language. `languages.py` says
which pages are the customer's and how their language is chosen; `middleware.py`
activates it; `catalogues.py` compiles every `locale/` directory's `.po` files (`make
run`, `make test`, and the test session itself) with Babel, so no system package is
needed. The customer-facing strings outside an app of their own (field labels, displays
of choices, the "this wasn't me" page) are translated in this package's
`locale/es/LC_MESSAGES/django.po` (settings.LOCALE_PATHS: it wins over Django's own);
an app with customer pages (the portal) keeps its own `<app>/locale/`.
"""
