"""Staff roles as Django groups, with the permissions each one carries (docs/design.md §1).

Kept in code so that every environment has the same roles: `sync_roles` runs after
every `migrate`. A permission is "app_label.codename".
"""

from enum import StrEnum

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from .permissions import prime


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    COMPLIANCE = "compliance"
    SECURITY = "security"
    DESK_ADMIN = "desk_admin"


_WORK_WITH_CUSTOMERS = [
    "customers.view_customer",
    "customers.reveal_sensitive",
    "tickets.view_ticket",
]
_FLOOR = ["tickets.work_ticket"]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.AGENT: [*_WORK_WITH_CUSTOMERS, *_FLOOR],
    Role.SUPERVISOR: [
        *_WORK_WITH_CUSTOMERS,
        *_FLOOR,
        "tickets.reassign_ticket",
        "approvals.approve_tier1",
        # Downstream systems that keep failing: the queue's alert, retrying by hand.
        "connectors.retry_delivery",
        # The history pages, read-only (audit/views.py).
        "audit.view_history",
        # The floor at a glance: backlog, SLA and history charts (profiledesk/dashboards).
        "dashboards.view_dashboard",
    ],
    Role.COMPLIANCE: [
        *_WORK_WITH_CUSTOMERS,
        "approvals.approve_tier2",
        "audit.view_history",
        # Supervisors read history masked; only compliance reveals a past value.
        "audit.reveal_history",
        # Rollback tickets (profiledesk/rollback) and their verification waivers.
        "rollback.request_rollback",
        # Evidence and data-subject exports: request and download (each one audited).
        "exports.export_evidence",
        # The supervisors' dashboard and the compliance one (reveals, rollbacks, exports).
        "dashboards.view_dashboard",
        "dashboards.view_compliance_dashboard",
    ],
    Role.SECURITY: [*_WORK_WITH_CUSTOMERS, "approvals.freeze_customer"],
    # Desk admins configure the desk in the Django admin; they do not browse customers.
    Role.DESK_ADMIN: [
        "clients.view_client",
        "clients.add_client",
        "clients.change_client",
        "clients.view_membership",
        "clients.add_membership",
        "clients.change_membership",
        "clients.delete_membership",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_staffsession",
        "accounts.delete_staffsession",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "auth.view_group",
        "audit.view_auditevent",
        "policies.view_policy",
        "policies.change_policy",
        "policies.view_businesshours",
        "policies.add_businesshours",
        "policies.change_businesshours",
        "policies.delete_businesshours",
        "policies.view_holiday",
        "policies.add_holiday",
        "policies.change_holiday",
        "policies.delete_holiday",
        # Client API keys: made with `create_api_key`, revoked in the admin.
        "api.view_apikey",
        "api.change_apikey",
        # Messages to customers, redacted (read-only admin; the Dev outbox in the demo).
        "messaging.view_message",
        # Downstream systems of each client (webhook URL, secret, categories), audited.
        "connectors.view_connector",
        "connectors.add_connector",
        "connectors.change_connector",
        "connectors.view_delivery",
        # Client apps' assertion signing keys (public keys; registered and revoked, never
        # deleted) and how much an app sign-in proves, audited (profiledesk/assertions).
        "assertions.view_appkey",
        "assertions.add_appkey",
        "assertions.change_appkey",
        "assertions.view_levelpolicy",
        "assertions.add_levelpolicy",
        "assertions.change_levelpolicy",
        # Straight-through processing's kill switch per client and category, audited.
        "automation.view_automationswitch",
        "automation.add_automationswitch",
        "automation.change_automationswitch",
        # The identity provider's account of each client (secrets write-only), its sessions.
        "idv.view_provideraccount",
        "idv.add_provideraccount",
        "idv.change_provideraccount",
        "idv.view_identitysession",
    ],
}


def permission_named(dotted: str) -> Permission:
    """The Permission "app_label.codename" names."""
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def sync_roles(*, using: str = "default", **kwargs) -> None:
    """Create the role groups and set exactly the permissions listed above."""
    # post_migrate reaches this app before the apps whose permissions it hands out.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        group.permissions.set([permission_named(p) for p in perms])


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        prime(user)  # the roles with the permissions, in one query (permissions.py)
        cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached
