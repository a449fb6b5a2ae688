"""Tenancy in the Django admin: a desk admin sees, adds, changes and deletes only objects
of the clients they are a member of (issue 12).

Every ModelAdmin of the desk derives from `ClientScopedAdmin` (objects that belong to a
client) or `StaffScopedAdmin` (objects about one staff member: the account, its sessions,
authenticators and sign-in records), and every inline from `ClientScopedInline`;
`tests/test_admin_tenancy.py` fails for a registered admin that does not. The mixins
scope every way an object can be reached: the list and its search, filters and
autocomplete, the change/delete/history pages (404 outside the admin's clients), the
choices of every foreign key and many-to-many field (a crafted POST naming another
client's object is a form error), actions (they only ever receive objects the admin may
change) and, last, a check after saving that rolls back anything that ended outside.

The clients come from `scoping.client_ids_for`, the one place that decides. Superusers
are not scoped: they run the BPO's platform and exist only from `createsuperuser`.
"""

from __future__ import annotations  # django-stubs' generics in annotations (not at run time)

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.sites import AdminSite
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record

from .models import Client, Membership
from .scoping import client_ids_for

# The mixins below go first in an admin's bases, before ModelAdmin / an inline class; the
# type checker is told so, and reads `super()` and `self.model` from those classes.
if TYPE_CHECKING:
    _RelationsBase = admin.options.BaseModelAdmin[Any]
    _AdminBase = admin.ModelAdmin[Any]
    _InlineBase = admin.options.InlineModelAdmin[Any, Any]
    _ChoiceFieldBase = forms.ModelChoiceField[Any]
    _FormSetBase = forms.BaseFormSet[Any]
else:
    _RelationsBase = _AdminBase = _InlineBase = _ChoiceFieldBase = _FormSetBase = object

AnyUser = AbstractBaseUser | AnonymousUser

# ---------------------------------------------------------------------------------------
# Who may see what


def administered_client_ids(user: AnyUser) -> models.QuerySet[Any]:
    """The clients a desk admin configures: those they are a member of, active or not."""
    return client_ids_for(user, include_inactive=True)


def staff_visible_to(user: AnyUser) -> models.QuerySet[Any]:
    """Staff who share at least one client with the admin."""
    shared = Membership.objects.filter(client_id__in=administered_client_ids(user))
    return get_user_model().objects.filter(pk__in=shared.values("user_id"))


def staff_manageable_by(user: AnyUser) -> models.QuerySet[Any]:
    """Staff the admin may change: every client they work for is one the admin
    administers, and they are not a superuser. Someone who also works for another client
    is read-only here, or an admin of one client could reset their password, role or
    authenticator and so work in the other client as them."""
    elsewhere = Membership.objects.exclude(client_id__in=administered_client_ids(user))
    return (
        staff_visible_to(user)
        .filter(is_superuser=False)
        .exclude(pk__in=elsewhere.values("user_id"))
    )


def related_choices(
    site: AdminSite, request: HttpRequest, model: type[models.Model], queryset: models.QuerySet[Any]
) -> models.QuerySet[Any]:
    """`queryset` of `model` narrowed to what the admin may pick or filter by: the rows the
    model's own (scoped) admin shows them. A model without one offers nothing."""
    if request.user.is_superuser:
        return queryset
    model_admin = site._registry.get(model)
    if isinstance(model_admin, ClientScopedAdmin):
        return model_admin.scope_queryset(request, queryset)
    return queryset.none()


def audit_refusal(
    request: HttpRequest,
    *,
    reason: str,
    model: type[models.Model],
    ids: Iterable[object],
    target: models.Model | None = None,
) -> None:
    """A desk admin reached for something outside their clients: recorded like any other
    denial (`access.denied`, see accounts/errors.py), with what they reached for."""
    match = request.resolver_match
    audit_record(
        action="access.denied",
        actor=request.user,
        target=target,
        data={
            "path": request.path[:500],
            "method": request.method,
            "view": match.view_name if match else "",
            "reason": reason,
            "model": model._meta.label_lower,
            "ids": [str(pk) for pk in ids][:20],
        },
        request=request,
    )


# ---------------------------------------------------------------------------------------
# Form fields and list filters


class _ScopedChoices(_ChoiceFieldBase):
    """A choice field that records a choice naming an object outside the admin's reach."""

    def __init__(self, *args: Any, scope_request: HttpRequest | None = None, **kwargs: Any):
        self.scope_request = scope_request
        super().__init__(*args, **kwargs)

    def _audit_out_of_reach(self, values: list[Any]) -> None:
        request = self.scope_request
        if request is None or not values:
            return
        assert self.queryset is not None  # the admin's fields are always given one
        model = self.queryset.model
        key = self.to_field_name or "pk"
        try:
            existing = list(
                model._default_manager.filter(**{f"{key}__in": values}).values_list(
                    "pk", flat=True
                )[:20]
            )
        except (ValueError, TypeError, ValidationError):
            return  # not even a possible id: nothing was reached for
        if existing:
            audit_refusal(
                request, reason="a choice outside the admin's clients", model=model, ids=existing
            )


class ScopedModelChoiceField(_ScopedChoices, forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code == "invalid_choice":
                self._audit_out_of_reach([value])
            raise


class ScopedModelMultipleChoiceField(_ScopedChoices, forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        try:
            return super().clean(value)
        except ValidationError as error:
            if error.code == "invalid_choice" and isinstance(value, list | tuple):
                self._audit_out_of_reach([str(v) for v in value])
            raise


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A filter by a related object that lists only the objects the admin may see (by
    client: only the clients they administer)."""

    def field_choices(
        self,
        field: models.fields.related.RelatedField[Any, Any],
        request: HttpRequest,
        model_admin: admin.ModelAdmin[Any],
    ) -> list[tuple[str, Any]]:
        related = field.related_model
        allowed = related_choices(
            model_admin.admin_site, request, related, related._default_manager.all()
        )
        # django-stubs: get_choices may give grouped choices; a relation's never are.
        return field.get_choices(  # type: ignore[return-value]
            include_blank=False,
            limit_choices_to={"pk__in": allowed.values("pk")},
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


class _ScopedRelations(_RelationsBase):
    """Foreign key and many-to-many choices limited to the admin's reach."""

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        kwargs = self._scoped(db_field, request, kwargs, ScopedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        kwargs = self._scoped(db_field, request, kwargs, ScopedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _scoped(
        self,
        db_field: models.fields.related.RelatedField[Any, Any],
        request: HttpRequest,
        kwargs: dict[str, Any],
        form_class: type[forms.Field],
    ) -> dict[str, Any]:
        model = db_field.remote_field.model
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = model._default_manager.using(kwargs.get("using")).all()
        kwargs["queryset"] = related_choices(self.admin_site, request, model, queryset)
        kwargs.setdefault("form_class", form_class)
        if issubclass(kwargs["form_class"], _ScopedChoices):
            kwargs["scope_request"] = request
        if model is Client:
            kwargs.setdefault(
                "error_messages",
                {"invalid_choice": _("Choose one of the clients you administer.")},
            )
        return kwargs


# ---------------------------------------------------------------------------------------
# The mixins


class ClientScopedAdmin(_ScopedRelations, _AdminBase):
    """For a ModelAdmin of objects that belong to a client; put it first in the bases."""

    # The lookup from the model to its Client ("pk" for Client itself).
    client_path = "client"
    # Actions that do not act on the selection (e.g. a clean-up of every row): superusers.
    superuser_only_actions: tuple[str, ...] = ()

    # --- the rule ---------------------------------------------------------------------

    def scope_queryset(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        """What the admin may see."""
        if request.user.is_superuser:
            return queryset
        ids = administered_client_ids(request.user)
        return queryset.filter(**{f"{self.client_path}__in": ids})

    def writable_queryset(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        """What the admin may change, delete or run an action on."""
        return self.scope_queryset(request, queryset)

    def is_in_scope(
        self,
        request: HttpRequest,
        obj: models.Model | None,
        *,
        write: bool = False,
        fresh: bool = False,
    ) -> bool:
        """Whether the stored object (not the form's edited copy) is within reach."""
        if obj is None or request.user.is_superuser:
            return True
        if obj.pk is None:
            return False
        cache: dict[tuple[str, str, bool], bool]
        cache = request.__dict__.setdefault("_admin_scope", {})
        key = (self.model._meta.label_lower, str(obj.pk), write)
        if fresh or key not in cache:
            rows = self.model._default_manager.filter(pk=obj.pk)
            scope = self.writable_queryset if write else self.scope_queryset
            cache[key] = scope(request, rows).exists()
        return cache[key]

    # --- lists, search, filters, autocomplete ----------------------------------------

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[Any], search_term: str
    ) -> tuple[models.QuerySet[Any], bool]:
        # The autocomplete view searches here too; scoped again whatever it was given.
        return super().get_search_results(
            request, self.scope_queryset(request, queryset), search_term
        )

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [self._scoped_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_filter(self, entry: Any) -> Any:
        if isinstance(entry, str):
            path = entry
        elif isinstance(entry, list | tuple) and entry[1] is admin.RelatedFieldListFilter:
            path = entry[0]
        else:
            return entry  # a SimpleListFilter or a filter of its own: it decides
        try:
            field = get_fields_from_path(self.model, path)[-1]
        except (FieldDoesNotExist, NotRelationField):
            return entry
        return (path, ScopedRelatedFieldListFilter) if field.is_relation else entry

    # --- one object ---------------------------------------------------------------------

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> models.Model:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Missing or another client's: the same 404, so ids reveal nothing.
            self._audit_if_elsewhere(request, object_id, from_field)
            raise Http404(_("No such object among your clients' objects."))
        return obj

    def _audit_if_elsewhere(
        self, request: HttpRequest, object_id: str, from_field: str | None
    ) -> None:
        if request.user.is_superuser:
            return
        field = (
            self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        )
        try:
            other = self.model._default_manager.filter(
                **{field.name: field.to_python(object_id)}
            ).first()
        except (ValidationError, ValueError, TypeError):
            return
        if other is not None:
            audit_refusal(
                request,
                reason="another client's object",
                model=self.model,
                ids=[other.pk],
                target=other,
            )

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.is_in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.is_in_scope(
            request, obj, write=True
        )

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.is_in_scope(
            request, obj, write=True
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # simple-history falls back to an object's last version when the current row is
        # not in get_queryset(): ask for the current row first (404 outside). Superusers
        # keep the history of deleted objects.
        if not request.user.is_superuser:
            self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    # simple-history's (SimpleHistoryAdmin, after this mixin in the bases; it ships no types).
    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """simple-history's "revert" page (SimpleHistoryAdmin admins only)."""
        if not request.user.is_superuser:
            self.get_object(request, unquote(object_id))
        if request.method == "POST" and self.revert_disabled(request):
            # simple-history saves on POST whatever the button said, and a revert writes
            # every field of the old version, read-only ones (a client, a flag) included.
            raise PermissionDenied
        return super().history_form_view(  # type: ignore[misc]  # simple-history's, see above
            request, object_id, version_id, extra_context
        )

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return (
            not request.user.is_superuser or super().revert_disabled(request, obj)  # type: ignore[misc]  # as history_form_view
        )

    # --- saving -------------------------------------------------------------------------

    def response_add(
        self, request: HttpRequest, obj: models.Model, post_url_continue: str | None = None
    ) -> HttpResponse:
        self._still_in_scope(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: models.Model) -> HttpResponse:
        self._still_in_scope(request, obj)
        return super().response_change(request, obj)

    def _still_in_scope(self, request: HttpRequest, obj: models.Model) -> None:
        """The last line: the form's choices already refuse another client, so this only
        fires when an admin class forgets; the view's transaction then rolls back."""
        if not self.is_in_scope(request, obj, write=True, fresh=True):
            raise PermissionDenied

    # --- actions ------------------------------------------------------------------------

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            for name in self.superuser_only_actions:
                actions.pop(name, None)
        return actions

    # django-stubs 6.1 adds Django 6's `action_location` argument; Django 5.2 has none.
    def response_action(  # type: ignore[override]
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> HttpResponse | None:
        if not request.user.is_superuser:
            writable = self.writable_queryset(request, queryset)
            self._audit_refused_selection(request, writable)
            queryset = writable
        return super().response_action(request, queryset)

    def _audit_refused_selection(
        self, request: HttpRequest, writable: models.QuerySet[Any]
    ) -> None:
        ids = []
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                ids.append(self.model._meta.pk.to_python(value))
            except ValidationError:
                continue
        if not ids:
            return
        existing = set(self.model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
        refused = existing - set(writable.filter(pk__in=ids).values_list("pk", flat=True))
        if refused:
            audit_refusal(
                request,
                reason="an action on objects outside the admin's reach",
                model=self.model,
                ids=sorted(refused),
            )


class StaffScopedAdmin(ClientScopedAdmin):
    """For objects about one staff member: seen when that person shares a client with the
    admin, changed only when every client they work for is the admin's."""

    # The lookup from the model to the staff member, and the staff field it matches.
    staff_path = "user"
    staff_field = "pk"

    def _about(
        self, queryset: models.QuerySet[Any], staff: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        return queryset.filter(**{f"{self.staff_path}__in": staff.values(self.staff_field)})

    def scope_queryset(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        if request.user.is_superuser:
            return queryset
        return self._about(queryset, staff_visible_to(request.user))

    def writable_queryset(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        if request.user.is_superuser:
            return queryset
        return self._about(queryset, staff_manageable_by(request.user))


class _LabelledRows(_FormSetBase):
    """A tabular inline's fields are named only by the column header, which is no label
    (WCAG 1.3.1 / 4.1.2: axe's "label", "select-name"): each field of each row gets an
    `aria-label` such as "Weekday, row 2" ("Delete, row 2" for the delete box)."""

    def add_fields(self, form: Any, index: int | None) -> None:
        super().add_fields(form, index)
        for name, field in form.fields.items():
            label = _("Delete") if name == "DELETE" else field.label
            if label is None or field.widget.is_hidden:
                continue
            if index is not None:
                label = _("%(field)s, row %(row)d") % {"field": label, "row": index + 1}
            field.widget.attrs.setdefault("aria-label", str(label))


class ClientScopedInline(_ScopedRelations, _InlineBase):
    """For an inline: its rows and choices scoped like its model's admin; adding, changing
    and deleting rows only when the admin may change the parent object; every field of a
    row labelled for assistive technology (`_LabelledRows`)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (_LabelledRows, formset), {})

    def _parent_in_scope(
        self, request: HttpRequest, obj: models.Model | None, *, write: bool
    ) -> bool:
        parent_admin = self.admin_site._registry.get(self.parent_model)
        if not isinstance(parent_admin, ClientScopedAdmin):
            return request.user.is_superuser
        return parent_admin.is_in_scope(request, obj, write=write)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)
        return related_choices(self.admin_site, request, self.model, queryset)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._parent_in_scope(
            request, obj, write=False
        )

    # An inline's takes the parent object (django-stubs' InlineModelAdmin ignores this too).
    def has_add_permission(  # type: ignore[override]
        self, request: HttpRequest, obj: models.Model | None
    ) -> bool:
        return super().has_add_permission(request, obj) and self._parent_in_scope(
            request, obj, write=True
        )

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._parent_in_scope(
            request, obj, write=True
        )

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._parent_in_scope(
            request, obj, write=True
        )
