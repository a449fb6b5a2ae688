from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "profiledesk.intake"
    label = "intake"
    verbose_name = _("Intake: validation and capture of changes")
