from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "profiledesk.exports"
    label = "exports"
    verbose_name = "Evidence and data-subject exports"
