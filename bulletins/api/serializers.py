"""Representations of bulletins, items, entities and sections, and the inputs of writes.

Read serializers only read. Write serializers only validate input: the views hand the
validated data to ``bulletins.workflow`` (or the importer / entity services), which is the
only code that saves — no serializer has a ``create()`` or ``update()`` that touches a row.
"""

import json

from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import limits
from ..exporters.text import title_headlines
from ..models import (
    Bulletin,
    BulletinStatus,
    Correction,
    Entity,
    EntityType,
    EventKind,
    Item,
    ItemEntity,
    ItemStatus,
    Section,
)

MAX_BODY = limits.MAX_ITEM_CHARS
MAX_JSON_BYTES = 20_000
MAX_SMALLINT = 32767
MAX_INT = 2**31 - 1


# ----------------------------------------------------------------------------- read


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["slug", "name", "position", "description"]


class SectionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["slug", "name"]


class EntityRefSerializer(serializers.ModelSerializer):
    """An entity as an item refers to it (one ``ItemEntity`` link)."""

    slug = serializers.CharField(source="entity.slug")
    name = serializers.CharField(source="entity.name")
    name_en = serializers.CharField(source="entity.name_en")
    type = serializers.ChoiceField(source="entity.type", choices=EntityType.choices)

    class Meta:
        model = ItemEntity
        fields = ["slug", "name", "name_en", "type", "role", "is_confirmed"]


class ItemSerializer(serializers.ModelSerializer):
    """One paragraph of an issue. ``version`` is what a PATCH must send back."""

    issued_on = serializers.DateField(source="bulletin.issued_on", read_only=True)
    section = SectionRefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices, read_only=True)
    # Declared: DRF drops allow_blank on read-only model fields, and an item without an event
    # kind yet ("") must still conform to the schema.
    event_kind = serializers.ChoiceField(
        choices=EventKind.choices, allow_blank=True, read_only=True
    )
    entities = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    permalink = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id",
            "url",
            "permalink",
            "issued_on",
            "section",
            "position",
            "headline",
            "headline_rank",
            "body",
            "event_kind",
            "financing_round",
            "facts",
            "sources",
            "image",
            "entities",
            "status",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(EntityRefSerializer(many=True))
    def get_entities(self, item):
        # Filled by the view's Prefetch(..., to_attr="visible_links"): already filtered.
        # Plain dicts: a nested serializer per item costs more than the whole SQL of a page.
        return [
            {
                "slug": link.entity.slug,
                "name": link.entity.name,
                "name_en": link.entity.name_en,
                "type": link.entity.type,
                "role": link.role,
                "is_confirmed": link.is_confirmed,
            }
            for link in getattr(item, "visible_links", [])
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, item) -> str | None:
        if not item.image:
            return None
        request = self.context.get("request")
        url = item.image.url
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, item) -> str:
        return _absolute(self.context, reverse("api:item-detail", kwargs={"pk": item.pk}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_permalink(self, item) -> str:
        """The public page (only reachable once the issue is published)."""
        return _absolute(self.context, item.get_absolute_url())


def _absolute(context, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


class BulletinSummarySerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    dateline = serializers.CharField(source="effective_dateline", read_only=True)
    status = serializers.ChoiceField(choices=BulletinStatus.choices, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = ["issued_on", "url", "title", "dateline", "status", "publish_at", "version"]
        read_only_fields = fields

    def get_title(self, bulletin) -> str:
        """Headlines joined as in the issue's title line (without the ' | 日报' suffix)."""
        return ";".join(title_headlines(getattr(bulletin, "headline_items", [])))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, bulletin) -> str:
        path = reverse("api:bulletin-detail", kwargs={"date": bulletin.issued_on.isoformat()})
        return _absolute(self.context, path)


class CorrectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Correction
        fields = ["note", "item", "created_at"]


class IssueSectionSerializer(serializers.Serializer):
    section = SectionRefSerializer()
    items = ItemSerializer(many=True)


class BulletinDetailSerializer(BulletinSummarySerializer):
    sections = serializers.SerializerMethodField()
    corrections = CorrectionSerializer(many=True, read_only=True)

    class Meta(BulletinSummarySerializer.Meta):
        fields = [
            *BulletinSummarySerializer.Meta.fields,
            "retraction_note",
            "corrections",
            "sections",
        ]
        read_only_fields = fields

    def get_title(self, bulletin) -> str:
        return ";".join(title_headlines(bulletin.issue_items))

    @extend_schema_field(IssueSectionSerializer(many=True))
    def get_sections(self, bulletin):
        groups = []
        for item in bulletin.issue_items:  # in issue order, filtered by the view
            if not groups or groups[-1]["section"].pk != item.section_id:
                groups.append({"section": item.section, "items": []})
            groups[-1]["items"].append(item)
        return IssueSectionSerializer(groups, many=True, context=self.context).data


class EntitySerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField(
        help_text="The parent's slug, when the client may see the parent (readers: a public "
        "entity, Entity.objects.public())."
    )
    item_count = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Entity
        fields = [
            "slug",
            "url",
            "name",
            "name_en",
            "type",
            "parent",
            "ticker",
            "inn",
            "item_count",
        ]
        read_only_fields = fields

    def get_parent(self, entity) -> str | None:
        if entity.parent_id and entity.parent_id in self.context.get("visible_parents", ()):
            return entity.parent.slug
        return None

    def get_item_count(self, entity) -> int:
        """Items about this entity that the client may read."""
        return self.context.get("item_counts", {}).get(entity.pk, 0)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, entity) -> str:
        path = reverse("api:entity-detail", kwargs={"slug": entity.slug})
        return _absolute(self.context, path)


class RelatedEntitySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=EntityType.choices)
    shared_items = serializers.IntegerField(
        help_text="How many of this entity's published items also confirm the other "
        "(readmodels.co_mentions, as on the site)."
    )


class EntityDetailSerializer(EntitySerializer):
    aliases = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    related = serializers.SerializerMethodField()
    items_url = serializers.SerializerMethodField()

    class Meta(EntitySerializer.Meta):
        fields = [
            *EntitySerializer.Meta.fields,
            "description",
            "external_ids",
            "aliases",
            "children",
            "related",
            "items_url",
        ]
        read_only_fields = fields

    def get_aliases(self, entity) -> list[str]:
        return [a.alias for a in entity.aliases.all()]

    def get_children(self, entity) -> list[str]:
        return self.context.get("children", [])

    @extend_schema_field(RelatedEntitySerializer(many=True))
    def get_related(self, entity):
        return RelatedEntitySerializer(self.context.get("related", []), many=True).data

    @extend_schema_field(OpenApiTypes.URI)
    def get_items_url(self, entity) -> str:
        path = reverse("api:entity-items", kwargs={"slug": entity.slug})
        return _absolute(self.context, path)


# ----------------------------------------------------------------------------- write inputs


def _no_nul(value):
    """PostgreSQL refuses NUL in text and JSON; refuse it here, as a 400."""
    if "\x00" in json.dumps(value, ensure_ascii=False).replace("\\u0000", "\x00"):
        raise serializers.ValidationError(_("不能包含空字符(NUL)。"))
    return value


def json_depth(value, limit: int) -> int:
    """Nesting depth of a JSON value, counted without recursion up to ``limit`` + 1."""
    depth, level = 0, [(value, 1)]
    while level:
        node, d = level.pop()
        depth = max(depth, d)
        if depth > limit:
            return depth
        if isinstance(node, dict):
            level.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            level.extend((v, d + 1) for v in node)
    return depth


# Facts are a flat record (amounts, investors, regulator): a few levels are plenty, and a
# bound keeps encoders and the database's JSON functions away from their recursion limits.
MAX_FACTS_DEPTH = 8


class FactsField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("应为 JSON 对象。"))
        if json_depth(value, MAX_FACTS_DEPTH) > MAX_FACTS_DEPTH:
            raise serializers.ValidationError(
                _("嵌套过深:最多 %(limit)s 层。") % {"limit": MAX_FACTS_DEPTH}
            )
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_JSON_BYTES:
            raise serializers.ValidationError(_("内容过大。"))
        return _no_nul(value)


class ItemFieldsSerializer(serializers.Serializer):
    """The editable fields of an item, as ``workflow.add_item`` / ``edit_item`` take them."""

    section = serializers.SlugRelatedField(slug_field="slug", queryset=Section.objects.all())
    body = serializers.CharField(max_length=MAX_BODY, allow_blank=True, trim_whitespace=False)
    headline = serializers.CharField(max_length=120, allow_blank=True)
    headline_rank = serializers.IntegerField(min_value=1, max_value=MAX_SMALLINT, allow_null=True)
    position = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    event_kind = serializers.ChoiceField(choices=[("", "—"), *EventKind.choices])
    financing_round = serializers.CharField(max_length=20, allow_blank=True)
    facts = FactsField()
    sources = serializers.ListField(
        child=serializers.URLField(max_length=500), max_length=20, allow_empty=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in getattr(self, "required_fields", ()):
                field.required = False


class ItemCreateSerializer(ItemFieldsSerializer):
    required_fields = ("bulletin", "section")
    bulletin = serializers.DateField(help_text="The issue date of the (unpublished) bulletin.")


class ItemUpdateSerializer(ItemFieldsSerializer):
    required_fields = ("version",)
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_INT,
        help_text="The version you edited; a newer one on the server gives 409 Conflict.",
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class RequiredCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text="Why: required.")


class BulletinCreateSerializer(serializers.Serializer):
    issued_on = serializers.DateField()
    dateline = serializers.CharField(
        max_length=100, allow_blank=True, required=False, default="", help_text="Empty: derived."
    )


class PublishSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Publish at this time; empty: now."
    )


class ScheduleSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the issue becomes public (in the future).")


class CorrectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Shown to readers.")
    item = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    body = serializers.CharField(
        max_length=MAX_BODY, required=False, allow_null=True, trim_whitespace=False
    )
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_INT
    )


class ReorderEntrySerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    section = serializers.SlugRelatedField(slug_field="slug", queryset=Section.objects.all())


class ReorderSerializer(serializers.Serializer):
    order = ReorderEntrySerializer(many=True, allow_empty=False, max_length=1000)


class ImportTextField(serializers.CharField):
    """The whole text goes to the parser, which refuses what is too long or holds a control
    character (NUL included) with its line, as the admin and import_bulletin do."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class ImportSerializer(serializers.Serializer):
    text = ImportTextField(
        help_text=f"At most {limits.MAX_IMPORT_CHARS} characters, {limits.MAX_IMPORT_ITEMS} "
        f"items of at most {limits.MAX_ITEM_CHARS} characters each."
    )
    replace = serializers.BooleanField(
        required=False, default=False, help_text="Replace an existing draft of the same date."
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    entity = serializers.SlugRelatedField(slug_field="slug", queryset=Entity.objects.live())
    role = serializers.CharField(
        max_length=30, allow_blank=True, required=False, default="", help_text="e.g. investor"
    )


class UnlinkSerializer(serializers.Serializer):
    entity = serializers.SlugRelatedField(slug_field="slug", queryset=Entity.objects.all())


class EntityWriteSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EntityType.choices)
    name = serializers.CharField(max_length=100)
    name_en = serializers.CharField(max_length=150, allow_blank=True)
    slug = serializers.SlugField(max_length=120, allow_unicode=True)
    description = serializers.CharField(max_length=5000, allow_blank=True)
    ticker = serializers.CharField(max_length=40, allow_blank=True)
    inn = serializers.CharField(max_length=100, allow_blank=True)
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Entity.objects.live(), allow_null=True
    )
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=50, allow_empty=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name in ("type", "name")


class EntityUpdateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EntityType.choices, required=False)
    name = serializers.CharField(max_length=100, required=False)
    name_en = serializers.CharField(max_length=150, allow_blank=True, required=False)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    ticker = serializers.CharField(max_length=40, allow_blank=True, required=False)
    inn = serializers.CharField(max_length=100, allow_blank=True, required=False)
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Entity.objects.live(),
        allow_null=True,
        required=False,
    )
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=150),
        max_length=50,
        required=False,
        help_text="Added to the entity's aliases (none is removed).",
    )


class MergeSerializer(serializers.Serializer):
    into = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Entity.objects.live(),
        help_text="Slug of the entity that survives; this one's links and aliases move to it.",
    )
