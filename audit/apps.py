from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit events"

    def ready(self):
        # Imported in ready(): Django loads apps.py before the models it would import.
        from . import checks  # noqa: F401  (history retention, PCI DSS 10.5.1)
