"""The dashboards' permissions. The pages read other apps' rows and own no table: the
model is unmanaged and exists only so that the permissions have a home (roles.py)."""

from django.db import models


class Dashboard(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the supervisor dashboard of their clients"),
            ("view_compliance_dashboard", "Can see the compliance dashboard of their clients"),
        ]

    def __str__(self) -> str:
        return "dashboard"
