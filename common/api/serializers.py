from django.db import models
from rest_framework import relations, serializers
from rest_framework.fields import empty

from common.choices import RoleChoices
from common.scope import (
    HIDDEN_RECORD_LABEL,
    is_city_scoped,
    referenceable_queryset,
    shown_name,
    user_city_ids,
    user_role,
    visibility_q,
)


class NoBlankInJsonMixin:
    """A relation in a JSON body is an id (or a code) or ``null``, never ``""``.

    DRF reads ``""`` as ``null`` for every relation: right for the form encodings (the browsable
    API's forms), which cannot say ``null``, but in JSON it would let a malformed value clear a link.
    """

    def run_validation(self, data=empty):
        request = self.context.get("request")
        if data == "" and request is not None and (request.content_type or "").startswith("application/json"):
            raise serializers.ValidationError("不能为空字符串；没有关联记录时请填 null。", code="blank")
        return super().run_validation(data)


class HidingLabelMixin:
    """A relation whose browsable-form options show a kept link to a hidden record as HIDDEN_RECORD_LABEL."""

    hidden_pks: frozenset = frozenset()

    def display_value(self, instance):
        return HIDDEN_RECORD_LABEL if instance.pk in self.hidden_pks else super().display_value(instance)


class PrimaryKeyRelation(NoBlankInJsonMixin, HidingLabelMixin, serializers.PrimaryKeyRelatedField):
    pass


class LinkedNameField(serializers.CharField):
    """The name of a linked record (``source="enterprise.name"``), or HIDDEN_RECORD_LABEL if the reader may not see it.

    A record keeps links to records of other cities that its editors cannot see (common.scope):
    their id is kept in the relation field, so that a save keeps the link, but their name is
    never shown. The viewset's queryset loads the linked record's scope path (``enterprise__city``).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        *path, attribute = self.source_attrs
        linked = instance
        for name in path:
            linked = getattr(linked, name, None)
            if linked is None:
                return None
        request = self.context.get("request")
        return shown_name(request.user if request is not None else None, linked, attribute)


class SlugLookupField(NoBlankInJsonMixin, HidingLabelMixin, serializers.SlugRelatedField):
    """A SlugRelatedField that never sends the database a value no slug can hold (PostgreSQL refuses NUL)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


class ChoiceLabelField(serializers.CharField):
    """The Chinese label of a choice field (``source="get_stage_display"``), called directly: DRF would
    inspect the method's signature on every record, a tenth of a long export's time."""

    def get_attribute(self, instance):
        return getattr(instance, self.source)()


#: The JSON types a field of each kind takes in a JSON body, checked before DRF's own coercion
#: (which reads ``387851`` as the name "387851", ``1`` as true and ``"5"`` as 5). The first match wins.
#: Decimals take a string or a number: both are exact enough for DRF's digit checks.
JSON_TYPES: tuple[tuple[type, tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "请填写 true 或 false。"),
    (serializers.IntegerField, (int,), "请填写整数。"),
    (serializers.FloatField, (int, float), "请填写数值。"),
    (serializers.DecimalField, (str, int, float), "请填写数值。"),
    (serializers.CharField, (str,), "请填写文本（字符串）。"),
    (serializers.DateField, (str,), "请按 YYYY-MM-DD 填写日期（字符串）。"),
    (serializers.DateTimeField, (str,), "请按 ISO 8601 填写时间（字符串）。"),
)


def json_type_error(field, value) -> str | None:
    """The message for a JSON value of the wrong type for ``field``, or None (``null`` is the field's to judge)."""
    if value is None:
        return None
    if isinstance(field, relations.PrimaryKeyRelatedField):  # an id: "5" would find record 5
        wrong = not isinstance(value, int) or isinstance(value, bool)
        return field.error_messages["incorrect_type"].format(data_type=type(value).__name__) if wrong else None
    if isinstance(field, relations.SlugRelatedField):  # a code: 140100 would find the city "140100"
        return "请填写代码（字符串）。" if not isinstance(value, str) else None
    for kind, types, message in JSON_TYPES:
        if isinstance(field, kind):
            # bool is an int in Python; only a BooleanField takes it.
            wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
            return message if wrong else None
    return None


class StrictJsonTypesMixin:
    """In a JSON body, each field takes only the JSON type its schema documents (``JSON_TYPES``).

    Form encodings (the browsable API, uploads) send every value as text; DRF's coercion is right
    for them and stays. All wrong types are reported together, one message per field.
    """

    def to_internal_value(self, data):
        errors = self._json_type_errors(data)
        if not errors:
            return super().to_internal_value(data)
        # The other fields are still checked, so that one answer lists every mistake.
        try:
            super().to_internal_value({name: value for name, value in data.items() if name not in errors})
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                errors = {**exc.detail, **errors}
        raise serializers.ValidationError(errors)

    def _json_type_errors(self, data) -> dict:
        request = self.context.get("request")
        if request is None or not isinstance(data, dict):
            return {}
        if not (request.content_type or "").startswith("application/json"):
            return {}
        errors = {}
        for field in self._writable_fields:
            if field.field_name in data:
                message = json_type_error(field, data[field.field_name])
                if message:
                    errors[field.field_name] = [message]
        return errors


class JsonInputSerializer(StrictJsonTypesMixin, serializers.Serializer):
    """A serializer for an action's input (a comment, a reason), typed as strictly as the models' serializers."""


class ServiceModelSerializer(StrictJsonTypesMixin, serializers.ModelSerializer):
    """A ModelSerializer whose writes the viewset makes through the model's services (scope check + full_clean).

    - A related model that declares ``api_slug_field`` is named by it, in reads and writes: regions
      by their GB/T 2260 code (``"city": "140100"``).
    - Relations honour the model field's ``limit_choices_to`` (a city field takes cities only).
    - A relation to a city-scoped model offers and accepts only what the requesting user may
      reference (common.scope), plus what the record links already: an id the user may not see
      is answered exactly like an id that does not exist, in writes and in the browsable forms.
    - Every choice field ``x`` gets a read-only ``x_display`` with its Chinese label.
    - Multi-field constraints are checked by ``full_clean`` in the service, whose messages are
      the models' own Chinese ``violation_error_message``.
    - A relation in a JSON body is never ``""`` (``NoBlankInJsonMixin``), and every field takes
      only its documented JSON type (``StrictJsonTypesMixin``).
    """

    serializer_related_field = PrimaryKeyRelation

    def build_relational_field(self, field_name, relation_info):
        field_class, kwargs = super().build_relational_field(field_name, relation_info)
        model_field = relation_info.model_field
        if "queryset" in kwargs and model_field is not None:
            limit = model_field.get_limit_choices_to()
            if limit:
                kwargs["queryset"] = kwargs["queryset"].complex_filter(limit)
        slug_field = getattr(relation_info.related_model, "api_slug_field", None)
        if slug_field:
            field_class = SlugLookupField
            kwargs["slug_field"] = slug_field
        return field_class, kwargs

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        # The schema is one for every user (common.api.schema_view keeps the first one built): drf-spectacular's
        # fake views must not give it the requesting clerk's optional city.
        if request is not None and not getattr(self.context.get("view"), "swagger_fake_view", False):
            for name, field in fields.items():
                self._limit_to_referenceable(name, field, request.user)
            if request.method == "POST":
                self._default_city(fields, request.user)
        for model_field in self.Meta.model._meta.concrete_fields:
            if model_field.choices and model_field.name in fields:
                fields[f"{model_field.name}_display"] = ChoiceLabelField(
                    source=f"get_{model_field.name}_display",
                    read_only=True,
                    label=f"{model_field.verbose_name}（名称）",
                )
        return fields

    def _default_city(self, fields: dict, user) -> None:
        """A new record of a clerk of one city is in that city unless the request names one (its scope field)."""
        scope = getattr(self.Meta.model, "city_scope", None)
        field = fields.get(scope) if scope else None
        # Only a required one: an enterprise sent without a city is province-wide, not the clerk's.
        if field is None or not field.required or not isinstance(field, relations.RelatedField):
            return
        cities = user_city_ids(user)
        if user_role(user) != RoleChoices.CITY or len(cities) != 1:
            return
        city_id, manager = next(iter(cities)), field.queryset.model._default_manager
        field.required = False
        # A callable: read only when the request leaves the city out, and never put in the schema.
        field.default = lambda: manager.get(pk=city_id)

    def _limit_to_referenceable(self, name: str, field, user) -> None:
        relation = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
        queryset = getattr(relation, "queryset", None)
        if queryset is None or not is_city_scoped(queryset.model):
            return
        linked = []
        if isinstance(self.instance, models.Model):
            source = field.source or name
            model_field = self.instance._meta.get_field(source)
            if model_field.many_to_many:
                linked = [obj.pk for obj in getattr(self.instance, source).all()]  # prefetched by the viewset
            elif getattr(self.instance, model_field.attname) is not None:
                linked = [getattr(self.instance, model_field.attname)]
        relation.queryset = referenceable_queryset(queryset, user, keep=linked)
        sees_all = user_role(user) is not None and visibility_q(user, queryset.model) is None
        if linked and not sees_all:
            visible = referenceable_queryset(queryset.model._default_manager.filter(pk__in=linked), user)
            relation.hidden_pks = frozenset(linked) - set(visible.values_list("pk", flat=True))

    def get_validators(self):
        # Unique-together and check constraints are validated by full_clean in the service.
        return []
