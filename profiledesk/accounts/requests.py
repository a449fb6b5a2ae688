"""The request a staff view receives, for the type checker.

RequireSecondFactorMiddleware lets no one without a signed-in, second-factor session reach
a staff view, so there `request.user` is always a `User`, never `AnonymousUser`; and
HtmxMiddleware sets `request.htmx`. Views annotate `request: StaffRequest` so services can
take `by: User` without a cast in every view.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class StaffRequest(HttpRequest):
    user: User  # narrowed by the sign-in middleware (see above)
    htmx: HtmxDetails
