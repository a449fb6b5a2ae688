"""The identity provider's account per client in the Django admin (desk admins, their own
clients only): the API secret key and the webhook signing secret are typed once, sealed at
rest and never shown again; every add or change is an audit event (without a secret).
Sessions and webhook events are read-only evidence."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from profiledesk.clients.admin_scoping import ClientScopedAdmin

from .models import STRIPE_API, IdentitySession, ProviderAccount


def _prefix_validator(prefixes: tuple[str, ...]):
    def validate(value: str) -> None:
        if value and not value.startswith(prefixes):
            raise forms.ValidationError(
                _("This does not look like the right key: it starts with %(p)s.")
                % {"p": " or ".join(prefixes)}
            )

    return validate


class ProviderAccountForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("API base URL"), max_length=200, assume_scheme="https", initial=STRIPE_API
    )
    secret_key = forms.CharField(
        label=_("secret API key"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "The restricted or secret key (rk_… / sk_…). Never shown again: leave empty to "
            "keep the current one."
        ),
        validators=[_prefix_validator(("sk_", "rk_"))],
    )
    webhook_secret = forms.CharField(
        label=_("webhook signing secret"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "The signing secret of the desk's endpoint in the provider's dashboard (whsec_…). "
            "Never shown again: leave empty to keep the current one."
        ),
        validators=[_prefix_validator(("whsec_",))],
    )

    class Meta:
        model = ProviderAccount
        fields = ["client", "base_url", "is_active"]

    def clean(self):
        cleaned = super().clean() or {}
        if self.instance.pk is None:
            for name in ("secret_key", "webhook_secret"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("A new account needs it."))
        return cleaned


@admin.register(ProviderAccount)
class ProviderAccountAdmin(ClientScopedAdmin, admin.ModelAdmin):
    form = ProviderAccountForm
    list_display = ["client", "base_url", "is_active", "updated_at"]
    list_select_related = ["client"]
    fields = ["client", "base_url", "secret_key", "webhook_secret", "is_active"]

    def save_model(self, request, obj, form, change):
        secret_key = form.cleaned_data.get("secret_key")
        webhook_secret = form.cleaned_data.get("webhook_secret")
        if secret_key:
            obj.set_secret_key(secret_key)
        if webhook_secret:
            obj.set_webhook_secret(webhook_secret)
        super().save_model(request, obj, form, change)
        audit_record(
            action="idv.account_changed" if change else "idv.account_added",
            actor=request.user,
            client=obj.client,
            target=obj,
            data={
                "base_url": obj.base_url,
                "is_active": obj.is_active,
                "changed": [
                    n for n in form.changed_data if n not in ("secret_key", "webhook_secret")
                ],
                "secret_key_changed": bool(secret_key),
                "webhook_secret_changed": bool(webhook_secret),
            },
            request=request,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: sessions keep their client's account


@admin.register(IdentitySession)
class IdentitySessionAdmin(ClientScopedAdmin, admin.ModelAdmin):
    list_display = ["ticket", "status", "contact_masked", "provider_id", "created_at"]
    list_filter = ["status"]
    list_select_related = ["ticket"]
    fields = (
        "ticket",
        "status",
        "contact_masked",
        "provider_id",
        "created_at",
        "error_code",
        "tries",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
