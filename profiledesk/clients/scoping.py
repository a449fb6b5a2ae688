"""The one place where "which clients may this staff member see" is decided.

Every model that belongs to a client gets its queryset from `ClientScopedQuerySet`, and
every view and API fetches through `for_staff(user)`: a staff member sees the rows of the
clients they are a member of, and nothing else. Superusers are not special here: desk
admins configure the desk but do not browse customers.
"""

from typing import Self, TypeVar

from django.db import models

from .models import Client, Membership

_M = TypeVar("_M", bound=models.Model)


def client_ids_for(user, *, include_inactive: bool = False) -> models.QuerySet:
    """A subquery of the client ids the user is a member of (evaluated inside SQL).

    `include_inactive` is for the Django admin only: a desk admin still configures (and
    may reactivate) a client that was switched off, whose customers nobody browses.
    """
    if not getattr(user, "is_authenticated", False):
        return Client.objects.none().values("pk")
    memberships = Membership.objects.filter(user_id=user.pk)
    if not include_inactive:
        memberships = memberships.filter(client__is_active=True)
    return memberships.values("client_id")


class ClientScopedQuerySet(models.QuerySet[_M]):
    client_field = "client"

    def for_staff(self, user) -> Self:
        return self.filter(**{f"{self.client_field}__in": client_ids_for(user)})


def clients_for(user) -> models.QuerySet:
    return Client.objects.filter(pk__in=client_ids_for(user))
