"""Staff of the BPO. Customers are not users: they live in `customers`."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .naming import staff_name
from .permissions import prime


class User(AbstractUser):
    """A staff member. Roles are Django groups (see roles.py); clients via Membership."""

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return staff_name(self)

    # Permissions and roles in one query the first time a request asks (permissions.py);
    # the answers are ModelBackend's.
    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        if obj is None:
            prime(self)
        return super().has_perm(perm, obj)

    def has_perms(self, perm_list: Iterable[str], obj: models.Model | None = None) -> bool:
        if obj is None:
            prime(self)
        return super().has_perms(perm_list, obj)

    def has_module_perms(self, app_label: str) -> bool:
        prime(self)
        return super().has_module_perms(app_label)

    def get_all_permissions(self, obj: models.Model | None = None) -> set[str]:
        if obj is None:
            prime(self)
        return super().get_all_permissions(obj)


class StaffSession(models.Model):
    """One signed-in browser of a staff member, so that sessions can be listed and ended.

    Keyed by the Django session key, which changes when the second factor is verified.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="staffsession_user_seen")]

    def __str__(self) -> str:
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"
