"""The audit actions the desk records, by area: the audit-events list's filter offers
these and refuses any other (tests/audit/test_actions_catalogue.py finds every action the
code records and fails for one missing here)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Reveals of masked data: the customer page, a past version on the history page, and the
# change's values shown to the agent working a verified ticket.
REVEALS = (
    "customer.sensitive_revealed",
    "history.value_revealed",
    "verification.details_revealed",
)
ROLLBACKS = ("rollback.requested", "rollback.applied")
WAIVERS = ("verification.waived",)
EXPORTS = ("export.requested", "export.downloaded")
REPORTS = ("confirmation.reported",)
FREEZES = ("customer.frozen", "customer.unfrozen")

ACTION_GROUPS: dict[Promise, tuple[str, ...]] = {
    _("Reveals and views"): (
        *REVEALS,
        "customer.reveal_refused",
        "verification.document_viewed",
        "approvals.avatar_viewed",
        "ticket.attachment_opened",
        "demo.receiver_viewed",
    ),
    _("Rollbacks, waivers and exports"): (*ROLLBACKS, *WAIVERS, *EXPORTS),
    _("Reports and freezes"): (*REPORTS, "confirmation.report_closed", *FREEZES),
    _("Tickets"): (
        "api.change_request_received",
        "ticket.matched",
        "ticket.captured",
        "ticket.change_edited",
        "ticket.taken_over",
        "ticket.security_claimed",
        "ticket.escalated",
        "ticket.applied",
        "ticket.closed",
    ),
    _("Verification"): (
        "verification.otp_sent",
        "verification.otp_passed",
        "verification.otp_failed",
        "verification.questions_passed",
        "verification.questions_failed",
        "verification.document_passed",
        "verification.document_failed",
        "verification.locked",
        "verification.assertion_passed",
        "verification.assertion_refused",
        "idv.session_requested",
        "idv.session_started",
        "idv.session_retrying",
        "idv.session_failed",
        "idv.verified",
        "idv.declined",
        "idv.canceled",
        "idv.decision_ignored",
        "idv.webhook_refused",
        "idv.webhook_replayed",
    ),
    _("Approvals"): (
        "approval.submitted",
        "approval.granted",
        "approval.rejected",
        "approval.voided",
    ),
    _("Downstream systems"): (
        "connectors.connector_added",
        "connectors.connector_changed",
        "connectors.delivery_retried",
        "connectors.event_fetched",
        "connectors.event_fetch_refused",
        "api_key.created",
        "api_key.revoked",
        "assertion_key.registered",
        "assertion_key.changed",
        "assertion_key.revoked",
        "assertion_policy.changed",
    ),
    _("Straight-through processing"): (
        "automation.applied",
        "automation.switched_on",
        "automation.switched_off",
    ),
    _("Customer portal"): (
        "portal.code_requested",
        "portal.code_failed",
        "portal.signed_in",
        "portal.signed_out",
        "portal.change_requested",
    ),
    _("Staff and configuration"): (
        "access.denied",
        "staff.sign_in.password",
        "staff.sign_in.failed",
        "staff.sign_in.otp_failed",
        "staff.sign_in.verified",
        "staff.sign_out",
        "staff.locked_out",
        "staff.totp_enrolled",
        "staff.totp_reset_by_admin",
        "staff.sessions_ended_by_admin",
        "staff.password_set_by_admin",
        "staff.escalation_refused",
        "staff.account_added",
        "staff.account_changed",
        "staff.account_deleted",
        "staff.membership_added",
        "staff.membership_changed",
        "staff.membership_removed",
        "policy.created",
        "policy.changed",
        "policy.calendar_changed",
        "idv.account_added",
        "idv.account_changed",
    ),
}
ACTIONS: frozenset[str] = frozenset(a for group in ACTION_GROUPS.values() for a in group)
