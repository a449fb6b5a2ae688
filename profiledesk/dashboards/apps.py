from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "profiledesk.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards for supervisors and compliance"
