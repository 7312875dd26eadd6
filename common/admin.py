"""Admin building blocks that apply the city-scope rule of common.scope to every admin page."""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .choices import RoleChoices
from .models import StaffProfile, defer_heavy_fields
from .scope import (
    HIDDEN_RECORD_LABEL,
    PROVENANCE_FIELDS,
    can_add,
    can_change,
    can_delete,
    can_view_model,
    is_city_scoped,
    is_shared,
    is_visible,
    referenceable_queryset,
    scope_queryset,
    shown_name,
    user_city_ids,
    user_role,
    visible_along_q,
)
from .services import ModelServices, staff_profile_set, staff_profile_validate

PROVENANCE_FIELDSET = ("来源", {"fields": PROVENANCE_FIELDS, "classes": ("collapse",)})
#: What an empty select offers (Django's is "---------").
EMPTY_CHOICE_LABEL = "请选择"
#: What a list, a history entry or a read-only field shows for a value that is not known.
EMPTY_VALUE = "—"


def format_number(value) -> str:
    """A number as people read it: thousands separated, no trailing zeros ("1000.0000" → "1,000")."""
    if value is None:
        return EMPTY_VALUE
    text = f"{value:,f}" if hasattr(value, "as_tuple") else f"{value:,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ChineseAdminMixin:
    """Django's leftovers in Chinese: empty selects say 请选择, unknown values show "—"."""

    empty_value_display = EMPTY_VALUE

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if getattr(field, "empty_label", None) == "---------":
            field.empty_label = EMPTY_CHOICE_LABEL
        if isinstance(field, forms.ModelChoiceField):
            return field  # its choices are a query: listing them here would run it once more per form
        choices = list(getattr(field, "choices", None) or [])
        if choices and choices[0][0] == "" and str(choices[0][1]) == "---------":
            field.choices = [("", EMPTY_CHOICE_LABEL), *choices[1:]]
        return field

    def get_action_choices(self, request, default_choices=(("", EMPTY_CHOICE_LABEL),)):
        return super().get_action_choices(request, list(default_choices))


class ScopedPermissionsMixin(ChineseAdminMixin):
    """Permissions and querysets from common.scope, shared by model admins and inlines."""

    def get_queryset(self, request):
        queryset = scope_queryset(super().get_queryset(request), request.user)
        joined = getattr(self, "list_select_related", None)  # inlines have none
        joined = joined if isinstance(joined, list | tuple) else None
        return defer_heavy_fields(queryset, joined)

    def get_scoped_rows(self, request):
        """The records the user may see, without what a list page adds (annotations, joins, ordering):
        the rows a filter's choices are looked up in."""
        return scope_queryset(self.model._default_manager.all(), request.user)

    def has_module_permission(self, request):
        return can_view_model(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_model(request.user)

    def has_add_permission(self, request, *args):
        return can_add(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        return can_change(request.user, obj, model=self.model)

    def has_delete_permission(self, request, obj=None):
        return can_delete(request.user, obj, model=self.model)

    def get_search_results(self, request, queryset, search_term):
        """Django's search (every word in some field), where a field of a linked record matches only a visible one."""
        fields = self.get_search_fields(request)
        if not search_term or not fields or user_role(request.user) == RoleChoices.PROVINCE:
            return super().get_search_results(request, queryset, search_term)
        for word in search_term.split():
            condition = models.Q()
            for field in fields:
                path = field.lstrip("^=@")
                condition |= models.Q(**{f"{path}__icontains": word}) & visible_along_q(request.user, self.model, path)
            queryset = queryset.filter(pk__in=self.model._default_manager.filter(condition).values("pk"))
        return queryset, False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A related model may limit what a user may put in a city-scoped record (regions:
        # ``assignable_by``), and limits what a user may see (``for_user``).
        related = db_field.related_model
        if hasattr(related.objects, "assignable_by") and is_city_scoped(self.model):
            kwargs["queryset"] = related.objects.assignable_by(request.user)
        elif hasattr(related.objects, "for_user"):
            kwargs["queryset"] = related.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related.objects, "for_user"):
            kwargs["queryset"] = related.objects.for_user(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class RefusedWrite(Exception):
    """A service refused to save what an admin form passed; ``errors`` are (field or None, message) pairs."""

    def __init__(self, error: ValidationError | PermissionDenied, *, row: str = ""):
        super().__init__(str(error))
        if isinstance(error, PermissionDenied):
            pairs = [(None, str(error))]
        elif hasattr(error, "error_dict"):
            pairs = [
                (None if name == NON_FIELD_ERRORS else name, message)
                for name, messages in error.message_dict.items()
                for message in messages
            ]
        else:
            pairs = [(None, message) for message in error.messages]
        # An inline row's errors are shown on the main form, naming the row.
        self.errors = [(None, f"{row}：{message}") for _, message in pairs] if row else pairs


class VersionedModelForm(forms.ModelForm):
    """Refuses to overwrite a record that someone else saved after this form was opened.

    It also shows ``refused``: what the model's service refused when these values were saved a
    moment ago (``ServiceAdminMixin``), so that every refusal is a form error, never a 500.
    """

    edit_version = forms.CharField(label="打开时的版本", widget=forms.HiddenInput, required=False)
    refused: list[tuple[str | None, str]] = []
    editor = None  # the user editing (set by ScopedModelAdmin.get_form)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.editor is not None and self.instance.pk:
            keep_hidden_links(self, self.editor)
        if self.instance.pk and getattr(self.instance, "updated", None):
            # The version stored now: a revert form's instance is an old version from history.
            stored = type(self.instance)._default_manager.filter(pk=self.instance.pk).values_list("updated", flat=True)
            self.fields["edit_version"].initial = (stored.first() or self.instance.updated).isoformat()

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("edit_version")
        if self.instance.pk and opened:
            # Lock the row (PostgreSQL) so no other save slips in between this check and ours.
            current = (
                type(self.instance)
                ._default_manager.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("updated", flat=True)
                .first()
            )
            if current is not None and current.isoformat() != opened:
                raise ValidationError(
                    "保存失败：打开此页面后，该记录已被他人修改（%(when)s）。请刷新页面，核对最新内容后再保存。",
                    params={"when": timezone.localtime(current).strftime("%Y-%m-%d %H:%M:%S")},
                    code="edit_conflict",
                )
        for name, message in self.refused:
            self.add_error(name if name in self.fields else None, message)
        return cleaned


class ScopedInlineForm(forms.ModelForm):
    """An inline row's form: like the main form, its links to records the editor may not see stay (as a placeholder)."""

    editor = None  # the user editing (set by ScopedTabularInline.get_formset)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.editor is not None and self.instance.pk:
            keep_hidden_links(self, self.editor)
            # The row's title (``str(row)``, shown above it) names its links: not those the editor may not see.
            if user_role(self.editor) != RoleChoices.PROVINCE:
                _hide_readonly_links(self.instance, [f.name for f in self.instance._meta.concrete_fields], self.editor)


def keep_hidden_links(form: forms.ModelForm, user) -> None:
    """Offer the records the form's instance links already but the editor may not see, as a placeholder.

    The relation fields offer what the editor may see (``formfield_for_foreignkey``): a linked
    record of another city would show as an empty choice and be dropped on save. It stays
    selected instead, shown as HIDDEN_RECORD_LABEL, never by name (the services keep such links).
    """
    for name, field in form.fields.items():
        if not isinstance(field, forms.ModelChoiceField) or not is_city_scoped(field.queryset.model):
            continue
        if name == form._meta.model._meta.pk.name:
            continue  # an inline row's own key
        model_field = form.instance._meta.get_field(name)
        if model_field.many_to_many:
            linked = set(getattr(form.instance, name).values_list("pk", flat=True))
        else:
            linked = {model_field.value_from_object(form.instance)} - {None}
        if not linked:
            continue
        related = field.queryset.model._default_manager
        hidden = linked - set(referenceable_queryset(related.filter(pk__in=linked), user).values_list("pk", flat=True))
        if hidden:
            field.queryset = field.queryset | related.filter(pk__in=hidden)
            field.label_from_instance = _hiding_label(field.label_from_instance, hidden)


def _hiding_label(label, hidden: set):
    def label_from_instance(obj):
        return HIDDEN_RECORD_LABEL if obj.pk in hidden else label(obj)

    return label_from_instance


def form_values(form: forms.ModelForm) -> dict:
    """The cleaned values of the model fields a form edits (many-to-many as lists, the primary key left out)."""
    opts = form._meta.model._meta
    # Forward fields only: reverse relations (an enterprise's bases) are no form's values.
    names = {f.name for f in opts.get_fields() if not f.auto_created and (f.concrete or f.many_to_many)}
    names -= {opts.pk.name}
    values = {}
    for name, value in form.cleaned_data.items():
        if name in names:
            values[name] = list(value) if opts.get_field(name).many_to_many else value
    return values


def changed_values(instance: models.Model, values: dict) -> dict:
    """The values that differ from the record as stored: what an update changes."""
    changed = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            same = {obj.pk for obj in getattr(instance, name).all()} == {obj.pk for obj in value}
        elif field.is_relation:
            same = field.value_from_object(instance) == (value.pk if value is not None else None)
        else:
            same = field.value_from_object(instance) == value
        if not same:
            changed[name] = value
    return changed


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's form instance the record the service saved (the admin goes on with it)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


class ServiceAdminMixin:
    """Every admin write goes through the model's services, declared by name: ``services = ModelServices(...)``.

    Add, change, revert from history (simple_history saves the old version through
    ``save_model``), inline rows (new, changed, deleted), delete and the bulk delete action. The
    form's values reach the service as data (Django has already copied them onto ``obj``; the
    service gets the stored record and the changes). What the service refuses is shown on the form:
    the whole save is rolled back and the form is shown again with the errors.
    """

    services: ModelServices

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refused = getattr(request, "sxplan_refused_write", None)
        if refused:
            form = type(form.__name__, (form,), {"refused": refused})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RefusedWrite as refused:
            # Django's changeform_view is atomic: nothing of the refused save is left.
            request.sxplan_refused_write = refused.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().history_form_view(request, object_id, version_id, extra_context)
        except RefusedWrite as refused:
            request.sxplan_refused_write = refused.errors
            return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        values = form_values(form)
        # A form may ask why (a ``change_reason`` field): the service records it in the history.
        reason = form.cleaned_data.get("change_reason", "")
        try:
            if change:
                stored = self.model._default_manager.get(pk=obj.pk)
                changes = changed_values(stored, values)
                saved = self.services.update(instance=stored, user=request.user, data=changes, reason=reason)
            else:
                saved = self.services.create(user=request.user, data=values, reason=reason)
        except (ValidationError, PermissionDenied) as exc:
            raise RefusedWrite(exc) from exc
        _adopt(obj, saved)
        # The service has set the many-to-many fields (the history revert calls this after save_model).
        form.save_m2m = lambda: None

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        services, user = formset.services, request.user
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for number, inline_form in enumerate(formset.forms, start=1):
            row = f"{formset.model._meta.verbose_name}第 {number} 行"
            try:
                if inline_form in formset.deleted_forms:
                    if inline_form.instance.pk is not None:
                        services.delete(instance=inline_form.instance, user=user)
                        formset.deleted_objects.append(inline_form.instance)
                elif inline_form in formset.initial_forms:
                    if inline_form.has_changed():
                        stored = formset.model._default_manager.get(pk=inline_form.instance.pk)
                        changes = changed_values(stored, form_values(inline_form))
                        saved = services.update(instance=stored, user=user, data=changes)
                        formset.changed_objects.append((saved, inline_form.changed_data))
                elif inline_form.has_changed():
                    saved = services.create(user=user, data=form_values(inline_form))
                    formset.new_objects.append(saved)
            except (ValidationError, PermissionDenied) as exc:
                raise RefusedWrite(exc, row=row) from exc

    def delete_model(self, request, obj):
        self.services.delete(instance=obj, user=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        if self.services.delete_many is not None:
            self.services.delete_many(instances=list(queryset), user=request.user)
            return
        for obj in queryset:
            self.services.delete(instance=obj, user=request.user)


class HistoryRecordHelper(HistoricalRecordContextHelper):
    """A history entry's changes as people read them: labels of choices, 是/否, numbers, "—" for nothing."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "" or value == []:
            return EMPTY_VALUE
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(field, models.DecimalField | models.FloatField):
            return format_number(value)
        return value


class RelatedInUseListFilter(admin.RelatedFieldListFilter):
    """``RelatedOnlyFieldListFilter``'s choices (the related records the user's list links to), found
    by one EXISTS per related record over the relation's index, instead of a DISTINCT over every row
    of the list on each page."""

    def field_choices(self, field, request, model_admin):
        # The scoped rows, not the list's queryset: its annotations (a project's figures) were built and
        # compiled into the EXISTS for nothing, the larger part of the filter's time.
        rows = getattr(model_admin, "get_scoped_rows", model_admin.get_queryset)(request)
        linked = rows.order_by().filter(**{self.field_path: OuterRef("pk")})
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=Q(Exists(linked)), ordering=ordering)


class EstimatedCountPaginator(Paginator):
    """Counts a changelist exactly, except an unfiltered list of a large PostgreSQL table.

    That one is the planner's estimate (``pg_class.reltuples``, kept by ANALYZE and autovacuum), and
    ``estimated`` says so on the page: counting a million rows on every page cost more than the page.
    """

    exact_up_to = 100_000
    estimated = False

    @cached_property
    def count(self):
        estimate = _table_estimate(self.object_list)
        if estimate is not None and estimate > self.exact_up_to:
            self.estimated = True
            return estimate
        return super().count


def _table_estimate(queryset) -> int | None:
    if not isinstance(queryset, models.QuerySet) or queryset.query.where or queryset.query.distinct:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


class ScopedChangeList(ChangeList):
    """Django's changelist, with each row's link built once for the page instead of once per row.

    Django reverses each row's change URL, then adds the list's filters to it (``?_changelist_filters=…``,
    to come back to the same list) by ``add_preserved_filters``, which resolves that URL again: on a
    filtered page of 50 rows, a tenth of the page's time. Here the link of a row with an integer key is
    one URL reversed and merged with the filters for the page, its key put in. The row links are the only
    readers of ``preserved_filters`` in Django's admin: it is kept as ``row_link_filters`` and emptied, so
    that ``add_preserved_filters`` does not add the filters a second time.
    """

    _PLACEHOLDER = 987654321987654321  # an integer key no table reaches: replaced by each row's key

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_link_filters, self.preserved_filters = self.preserved_filters, ""

    def _with_filters(self, url: str) -> str:
        return add_preserved_filters({"preserved_filters": self.row_link_filters, "opts": self.opts}, url)

    @cached_property
    def _change_url_pattern(self) -> tuple[str, str]:
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(self._PLACEHOLDER,),
            current_app=self.model_admin.admin_site.name,
        )
        head, _, tail = self._with_filters(url).partition(str(self._PLACEHOLDER))
        return head, tail

    def url_for_result(self, result):
        pk = getattr(result, self.pk_attname)
        if type(pk) is not int:  # a text key is quoted and escaped by reverse(): Django's way
            return self._with_filters(super().url_for_result(result))
        head, tail = self._change_url_pattern
        return f"{head}{pk}{tail}"


class ScopedModelAdmin(ScopedPermissionsMixin, ServiceAdminMixin, SimpleHistoryAdmin):
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    form = VersionedModelForm

    def get_historical_record_context_helper(self, request, historical_record):
        return HistoryRecordHelper(self.model, historical_record)

    def get_changeform_initial_data(self, request):
        """A new record of a clerk of one city starts in that city (its city or scope field pre-filled)."""
        initial = super().get_changeform_initial_data(request)
        scope = getattr(self.model, "city_scope", None)
        cities = user_city_ids(request.user)
        if scope and "__" not in scope and scope not in initial and len(cities) == 1:
            if user_role(request.user) == RoleChoices.CITY and not self.model._meta.get_field(scope).many_to_many:
                initial[scope] = next(iter(cities))
        return initial

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"editor": request.user})

    def get_changelist(self, request, **kwargs):
        return ScopedChangeList

    def action_checkbox(self, obj):
        # Django's own markup, written directly: rendering a CheckboxInput through the template
        # engine for each of a page's rows was a fifth of the changelist's time. One escape per
        # value, not format_html's conditional escape of each argument twice over.
        label = escape(gettext("Select this object for an action - {}").format(obj))
        return mark_safe(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" value="{escape(obj.pk)}" '
            f'class="action-select" aria-label="{label}">'
        )

    def get_list_display(self, request):
        """A column of a linked city-scoped record shows HIDDEN_RECORD_LABEL for a record the reader may not see.

        The columns are made once per request: Django asks twice (the columns, and which of them sort), and
        compares the answers by identity, so columns made anew were never sortable.
        """
        made = request.__dict__.setdefault("_sxplan_list_display", {})
        if self not in made:
            made[self] = self._list_display(request)
        return made[self]

    def _list_display(self, request):
        columns = []
        for name in super().get_list_display(request):
            if _number_field(self.model, name) is not None:
                columns.append(_number_column(name, _number_field(self.model, name)))
                continue
            field = _relation_field(self.model, name)
            if field is None or not field.many_to_one or not is_city_scoped(field.related_model):
                columns.append(name)
                continue
            columns.append(_linked_column(name, field.verbose_name, request.user))
        return columns

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and user_role(request.user) != RoleChoices.PROVINCE:
            readonly = self.get_readonly_fields(request, obj)
            if not self.has_change_permission(request, obj):
                readonly = flatten_fieldsets(self.get_fieldsets(request, obj))  # a view-only page: every field
            _hide_readonly_links(obj, readonly, request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and hasattr(obj, "updated") and self.has_change_permission(request, obj):
            fieldsets.append((None, {"fields": ["edit_version"], "classes": ["hidden"]}))
        return fieldsets

    def refuse_out_of_scope(self, request, object_id):
        """Another city's record answers 404, exactly like a missing one (never confirm it exists)."""
        if object_id is not None and self.get_object(request, unquote(object_id)) is None:
            raise Http404("记录不存在。")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.refuse_out_of_scope(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self.refuse_out_of_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self.refuse_out_of_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting is a change: the record must be in scope now, and the form checks the old values.
        self.refuse_out_of_scope(request, object_id)
        if request.method == "POST" and not self.has_change_permission(
            request, self.get_object(request, unquote(object_id))
        ):
            raise PermissionDenied("您没有恢复此记录的权限。")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        """Provenance is the province's; so is a shared record (but its ``city_shared_fields``) and its cities."""
        fields = list(super().get_readonly_fields(request, obj))
        if user_role(request.user) == RoleChoices.PROVINCE:
            return fields
        province_only = [name for name in PROVENANCE_FIELDS if hasattr(self.model, name)]
        province_only += getattr(self.model, "city_scope_fields_province_only", ())
        if obj is not None and is_shared(obj):
            shared = getattr(self.model, "city_shared_fields", ())
            model_fields = {field.name for field in self.model._meta.get_fields()}
            shown = flatten_fieldsets(self.get_fieldsets(request, obj))
            province_only += [name for name in shown if name in model_fields and name not in shared]
        return fields + [name for name in dict.fromkeys(province_only) if name not in fields]


def _model_field(model, name):
    """The model field a list_display / fields entry names, or None (a method or an admin attribute)."""
    if not isinstance(name, str):
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # a method or an admin attribute, not a field
        return None


def _relation_field(model, name):
    field = _model_field(model, name)
    return field if field is not None and field.is_relation else None


def _number_field(model, name):
    field = _model_field(model, name)
    return field if isinstance(field, models.DecimalField | models.FloatField) else None


def _number_column(name: str, field):
    def column(obj):
        return format_number(getattr(obj, name))

    column.short_description = field.verbose_name
    column.admin_order_field = name
    column.__name__ = name  # the cell's class (field-<name>) right-aligns numbers
    return column


def _linked_column(name: str, label, user):
    def column(obj):
        return shown_name(user, getattr(obj, name), None) or EMPTY_VALUE

    column.short_description = label
    column.admin_order_field = name
    return column


class _HiddenRecord:
    """What a read-only field shows in place of a linked record the reader may not see."""

    def __init__(self, pk):
        self.pk = pk

    def __str__(self):
        return HIDDEN_RECORD_LABEL


def _hide_readonly_links(obj: models.Model, readonly: list, user) -> None:
    """Read-only links to records the reader may not see are shown as HIDDEN_RECORD_LABEL, never by name."""
    for name in readonly:
        field = _relation_field(type(obj), name)
        if field is None or not is_city_scoped(field.related_model):
            continue
        if field.many_to_one:
            linked = getattr(obj, name)
            if linked is not None and not is_visible(user, linked):
                obj._state.fields_cache[name] = _HiddenRecord(linked.pk)
        elif field.many_to_many and field.concrete:
            # The admin shows a read-only many-to-many value as its records joined: it reads them from
            # the prefetch cache, where the hidden ones are put as placeholders.
            related, records = field.related_model._default_manager, list(getattr(obj, name).all())
            linked = related.filter(pk__in=[r.pk for r in records])
            visible = set(referenceable_queryset(linked, user).values_list("pk", flat=True))
            shown = related.none()
            shown._result_cache = [r if r.pk in visible else _HiddenRecord(r.pk) for r in records]
            obj._prefetched_objects_cache = {**getattr(obj, "_prefetched_objects_cache", {}), name: shown}


class ScopedTabularInline(ScopedPermissionsMixin, admin.TabularInline):
    """An inline whose rows are written through its model's services (``services``; see ServiceAdminMixin)."""

    extra = 0
    show_change_link = True
    # Folded under its title (Django's <details>), so that a change page shows its own fields first.
    classes = ["collapse"]
    services: ModelServices

    # ``obj`` is the parent record, of another model: the rows' own scope is kept by the
    # queryset (common.scope) and by the services, row by row.
    def has_change_permission(self, request, obj=None):
        return can_change(request.user, model=self.model)

    def has_delete_permission(self, request, obj=None):
        return can_change(request.user, model=self.model)

    form = ScopedInlineForm

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = type(self.form.__name__, (self.form,), {"editor": request.user})
        formset = super().get_formset(request, obj, **kwargs)
        formset.services = self.services
        return formset


class StaffProfileForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["role", "cities"]

    def clean(self):
        cleaned = super().clean()
        if "role" in cleaned and "cities" in cleaned:
            try:
                staff_profile_validate(role=cleaned["role"], cities=cleaned["cities"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


def _save_staff_profile(request, form: StaffProfileForm, account) -> StaffProfile:
    """The role and cities of a profile form, written by ``staff_profile_set`` (its history names the editor)."""
    saved = staff_profile_set(
        user=request.user, account=account, role=form.cleaned_data["role"], cities=form.cleaned_data["cities"]
    )
    form.save_m2m = lambda: None  # the service has set the cities
    return saved


class StaffProfileInline(ChineseAdminMixin, admin.StackedInline):
    model = StaffProfile
    form = StaffProfileForm
    can_delete = False
    filter_horizontal = ["cities"]
    verbose_name_plural = "角色与城市"


@admin.register(StaffProfile)
class StaffProfileAdmin(ChineseAdminMixin, admin.ModelAdmin):
    form = StaffProfileForm
    list_display = ["user", "role", "city_list"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["cities"]
    autocomplete_fields = ["user"]
    fields = ["user", "role", "cities"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("cities")

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []  # a profile stays with its account

    def save_model(self, request, obj, form, change):
        _adopt(obj, _save_staff_profile(request, form, obj.user))

    def save_related(self, request, form, formsets, change):
        pass  # the profile's only relation, its cities, is set by ``save_model``

    @admin.display(description="城市")
    def city_list(self, obj):
        return "、".join(city.name for city in obj.cities.all())

    def _is_province(self, request):
        return user_role(request.user) == RoleChoices.PROVINCE

    def has_module_permission(self, request):
        return self._is_province(request)

    def has_view_permission(self, request, obj=None):
        return self._is_province(request)

    def has_add_permission(self, request):
        return self._is_province(request)

    def has_change_permission(self, request, obj=None):
        return self._is_province(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_province(request)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(ChineseAdminMixin, UserAdmin):
    inlines = [StaffProfileInline]
    list_select_related = ["staff_profile"]
    list_display = ["username", "first_name", "is_active", "is_staff", "role"]

    def save_formset(self, request, form, formset, change):
        if formset.model is not StaffProfile:
            super().save_formset(request, form, formset, change)
            return
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for profile_form in formset.forms:
            if not profile_form.has_changed():
                continue
            saved = _save_staff_profile(request, profile_form, form.instance)
            if profile_form in formset.initial_forms:
                formset.changed_objects.append((saved, profile_form.changed_data))
            else:
                formset.new_objects.append(saved)

    @admin.display(description="角色")
    def role(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else ("超级用户" if obj.is_superuser else "—")
