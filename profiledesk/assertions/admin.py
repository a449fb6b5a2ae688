"""Desk admins register their clients' app signing keys and set how much an app sign-in
proves; both scoped to the admin's clients (ClientScopedAdmin) and audited.

A key's public part is fixed once registered (a new key is a new `kid`); it is revoked,
never deleted: the evidence it signed names it."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.services import audit_record
from profiledesk.clients.admin_scoping import ClientScopedAdmin

from .models import AppKey, LevelPolicy
from .rules import DEFAULT_LEVELS, levels_clean, public_key_normalised
from .services import app_key_register, app_key_revoke, level_policy_save


class AppKeyForm(forms.ModelForm):
    class Meta:
        model = AppKey
        fields = ["client", "issuer", "kid", "algorithm", "public_key", "is_active"]

    def clean(self):
        cleaned = super().clean() or {}
        pem, algorithm = cleaned.get("public_key"), cleaned.get("algorithm")
        if pem and algorithm and "public_key" in self.fields:
            try:
                cleaned["public_key"] = public_key_normalised(pem, algorithm)
            except ValidationError as error:
                self.add_error("public_key", error)
        return cleaned


@admin.register(AppKey)
class AppKeyAdmin(ClientScopedAdmin, admin.ModelAdmin):
    form = AppKeyForm
    list_display = ["kid", "issuer", "client", "algorithm", "is_active", "created_at", "revoked_at"]
    list_filter = ["client", "algorithm", "is_active"]
    search_fields = ["kid", "issuer", "client__name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_at", "revoked_at"]
        fixed = ["client", "issuer", "kid", "algorithm", "public_key", "created_at", "revoked_at"]
        return [*fixed, "is_active"] if obj.revoked_at else fixed

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            key = app_key_register(
                client=obj.client,
                issuer=obj.issuer,
                kid=obj.kid,
                algorithm=obj.algorithm,
                public_key=obj.public_key,
                by=request.user,
                request=request,
            )
            obj.pk, obj.created_at, obj.public_key = key.pk, key.created_at, key.public_key
            obj._state.adding = False
            return
        super().save_model(request, obj, form, change)
        if "is_active" in form.changed_data:
            audit_record(
                action="assertion_key.changed",
                actor=request.user,
                client=obj.client,
                target=obj,
                data={"issuer": obj.issuer, "kid": obj.kid, "is_active": obj.is_active},
                request=request,
            )

    @admin.action(description=_("Revoke the selected signing keys"), permissions=["change"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            app_key_revoke(key=key, by=request.user, request=request)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(keys))
            % {"count": len(keys)},
            messages.SUCCESS,
        )


class LevelPolicyForm(forms.ModelForm):
    levels = forms.JSONField(
        label=_("Levels by sign-in method"),
        initial=DEFAULT_LEVELS,
        help_text=_(
            "The assurance level an app sign-in reaches, by the methods in its amr claim "
            "(RFC 8176); + joins methods used together. The highest entry whose methods "
            "were all used counts; methods not named add nothing; at most AL2."
        ),
    )

    class Meta:
        model = LevelPolicy
        fields = ["client", "levels"]

    def clean_levels(self):
        return levels_clean(self.cleaned_data["levels"])


@admin.register(LevelPolicy)
class LevelPolicyAdmin(ClientScopedAdmin, admin.ModelAdmin):
    form = LevelPolicyForm
    list_display = ["client", "levels_text", "updated_at"]
    list_filter = ["client"]

    @admin.display(description=_("Levels by sign-in method"))
    def levels_text(self, obj: LevelPolicy) -> str:
        return json.dumps(obj.levels, sort_keys=True)

    def get_readonly_fields(self, request, obj=None):
        return ["client", "updated_at"] if obj is not None else ["updated_at"]

    def save_model(self, request, obj, form, change):
        policy = level_policy_save(
            client=obj.client, levels=form.cleaned_data["levels"], by=request.user, request=request
        )
        obj.pk, obj.updated_at, obj.levels = policy.pk, policy.updated_at, policy.levels
        obj._state.adding = False
