from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "profiledesk.policies"
    label = "policies"
    verbose_name = "Policies, risk and SLA"
