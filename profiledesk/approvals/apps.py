from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "profiledesk.approvals"
    label = "approvals"
    verbose_name = "Approvals, escalation and freeze"
