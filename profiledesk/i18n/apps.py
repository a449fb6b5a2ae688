from django.apps import AppConfig


class I18nConfig(AppConfig):
    name = "profiledesk.i18n"
    label = "i18n"
    verbose_name = "Languages"

    def ready(self) -> None:
        # Registers the deploy check that every catalogue is compiled (checks.py).
        from . import checks  # noqa: F401
