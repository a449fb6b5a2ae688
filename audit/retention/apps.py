from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """History retention (PCI DSS 10.5.1): a separate app only so that it can sit before
    `simple_history` in INSTALLED_APPS — Django runs the command of the earliest app that
    has one, so this app's `clean_old_history` replaces simple-history's (30-day default)."""

    name = "audit.retention"
    label = "audit_retention"
    verbose_name = "History retention"
