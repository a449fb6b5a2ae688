"""Connectors in the Django admin (desk admins): the secret is typed once and never shown
again; every add or change is an audit event (without the secret). Deliveries are
read-only."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from profiledesk.clients.admin_scoping import ClientScopedAdmin
from profiledesk.policies.categories import Category

from .encryption import public_jwk_parse, thumbprint
from .models import Connector, Delivery, Mode
from .scopes import PRESETS, scopable
from .selectors import masked_event
from .signing import event_body


def _scope_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The sendable fields grouped by category (checkboxes under a heading each)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, category, label in scopable():
        groups.setdefault(category, []).append((key, label))
    return list(groups.items())


class PublicKeyField(forms.CharField):
    """A receiver's public JWK pasted as JSON; cleaned to the dict the connector keeps
    (connectors/encryption.py), empty for none. A pasted private key is refused and not
    shown again on the page that says so."""

    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, indent=2, sort_keys=True)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return public_jwk_parse(text) if text else None

    def bound_data(self, data, initial):
        try:
            self.to_python(data)
        except ValidationError as error:
            if error.code == "private":
                return ""  # never echo a private key back into the page
        return data

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (initial or None)
        except ValidationError:
            return True


class ModeField(forms.TypedChoiceField):
    """Full unless thin is chosen: a form posted without the field keeps the default."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=Mode.choices, coerce=str, empty_value=Mode.FULL, required=False, **kwargs
        )

    def has_changed(self, initial, data) -> bool:
        return (data or Mode.FULL) != (initial or Mode.FULL)


class ConnectorForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        strip=True,
        min_length=24,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 24 characters, shared with the client's engineers. It is never shown "
            "again: leave empty to keep the current one."
        ),
    )
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    categories = forms.MultipleChoiceField(
        label=_("categories"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Changes of these categories are sent. Identity systems receive security."),
    )

    scope = forms.MultipleChoiceField(
        label=_("data scope"),
        choices=_scope_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The fields this system receives in clear; nothing else is sent, not even "
            "masked. Cards and bank accounts go as the vault token with brand and last "
            "four. A new connector starts with what its kind needs."
        ),
    )

    mode = ModeField(
        label=_("delivery mode"),
        help_text=_(
            "Thin: the signed event names the change without values, and the receiver "
            "fetches them once with the client's API key within a limited time."
        ),
    )
    encryption_key = PublicKeyField(
        label=_("public key (JWK)"),
        required=False,
        help_text=_(
            "Optional. The receiver's public key as a JWK (RSA, at least 2048 bits, or EC "
            "P-256/P-384/P-521): the values are then sent as a JWE (RSA-OAEP-256 or ECDH-ES, "
            "A256GCM) that only its private key opens. Never paste the private key."
        ),
    )

    class Meta:
        model = Connector
        fields = [
            "client",
            "name",
            "kind",
            "url",
            "categories",
            "scope",
            "mode",
            "encryption_key",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.is_bound:
            kind = self.initial.get("kind") or self.instance.kind
            self.initial.setdefault("scope", PRESETS.get(kind, PRESETS["crm"]))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is None and not cleaned.get("secret"):
            self.add_error("secret", _("A new connector needs a signing secret."))
        return cleaned


@admin.register(Connector)
class ConnectorAdmin(ClientScopedAdmin, admin.ModelAdmin):
    form = ConnectorForm
    list_display = ["name", "client", "kind", "url", "is_active", "updated_at"]
    list_filter = ["is_active", "kind", "client"]
    list_select_related = ["client"]
    search_fields = ["name", "client__name", "url"]
    fields = [
        "client",
        "name",
        "kind",
        "url",
        "secret",
        "categories",
        "scope",
        "mode",
        "encryption_key",
        "is_active",
    ]

    def save_model(self, request, obj, form, change):
        secret = form.cleaned_data.get("secret")
        if secret:
            obj.set_secret(secret)
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name != "secret"]
        audit_record(
            action="connectors.connector_changed" if change else "connectors.connector_added",
            actor=request.user,
            client=obj.client,
            target=obj,
            data={
                "name": obj.name,
                "kind": obj.kind,
                "url": obj.url,
                "categories": list(obj.categories),
                "scope": list(obj.scope),
                "is_active": obj.is_active,
                "mode": obj.mode,
                # The key's RFC 7638 thumbprint: which key, in a line an auditor can compare.
                "encryption_key": thumbprint(obj.encryption_key) if obj.encryption_key else None,
                "changed": changed,
                "secret_changed": bool(secret),
            },
            request=request,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: deliveries keep their connector


@admin.register(Delivery)
class DeliveryAdmin(ClientScopedAdmin, admin.ModelAdmin):
    list_display = ["created_at", "client", "connector", "ticket", "status", "attempts"]
    list_filter = ["status", "client"]
    list_select_related = ["client", "connector", "ticket"]
    search_fields = ["idempotency_key", "event_id", "ticket__reference"]
    # A tuple, so that one sequence types as both (a list is invariant).
    readonly_fields = (
        "client",
        "ticket",
        "connector",
        "event_id",
        "idempotency_key",
        "event_masked",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "fetch_expires_at",
        "fetched_at",
    )
    fields = readonly_fields

    @admin.display(description=_("event (values masked)"))
    def event_masked(self, obj: Delivery) -> str:
        # The body carries the scope's values in clear for the receiving system; a desk
        # admin checking a delivery needs its shape and which fields went, not them.
        return event_body(masked_event(obj.event)).decode()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
