from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "profiledesk.vault"
    label = "vault"
    verbose_name = "Card and bank vault"
