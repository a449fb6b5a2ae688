from django import forms
from django.utils.translation import gettext_lazy as _

from profiledesk.intake.validators import validate_no_invisible
from profiledesk.tickets.queue_forms import QueuePageForm


class SecurityQueueForm(QueuePageForm):
    """The security queue's order and page: the ticket queue's own fields and checks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].widget.attrs["class"] = "form-select form-select-sm"


class CloseReportForm(forms.Form):
    reason = forms.CharField(
        label=_("How the report was resolved"),
        max_length=500,
        validators=[validate_no_invisible],
        error_messages={"required": _("Give a reason.")},
    )
