from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "profiledesk.customers"
    label = "customers"
    verbose_name = "Customer profiles"
