from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "profiledesk.messaging"
    label = "messaging"
    verbose_name = "Messaging"
