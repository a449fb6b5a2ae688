from django.apps import AppConfig


class ApplyConfig(AppConfig):
    name = "profiledesk.apply"
    label = "apply"
    verbose_name = "Applying changes to the profile"

    def ready(self) -> None:
        # Imported in ready(): Django loads apps.py before the models it would import.
        # tickets.states sits below apply: the "Apply" button is offered when apply's
        # rule holds (ticket_apply checks the same rule under the row lock).
        from profiledesk.tickets.models import State
        from profiledesk.tickets.states import step_rule_register

        from .rules import apply_problem

        step_rule_register(target=State.APPLIED, rule=apply_problem)
