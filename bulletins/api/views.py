"""The REST API at ``/api/v1/``: public reads, editorial writes through the workflow.

Reads start from ``permissions.Visibility`` (one place decides what a client may see); writes
call ``bulletins.workflow`` (and the importer / entity services) and nothing else saves. A
refused transition comes back from ``exceptions.api_exception_handler`` as 403/409/400.
"""

import datetime as dt
import hashlib
from functools import cached_property, partial

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from newsroom import lockout

from .. import entities as entity_services
from .. import exporters, readmodels, workflow
from ..exporters.text import issue_items
from ..importers.parser import ParseError
from ..importers.service import import_issue
from ..models import Bulletin, Entity, Item, ItemStatus, parent_cycle_message
from ..pagecache import memoise_etag
from ..search import search_ids
from . import serializers as s
from .exceptions import Retracted
from .filters import BulletinFilter, EntityFilter, ItemFilter, about
from .pagination import DEFAULT_ITEM_ORDERING, ItemCursorPagination, KeysetPagination
from .permissions import ReadAnyoneWriteAuthenticated, visibility_for
from .throttling import ScopedRateThrottle

# Path parameters match anything up to the next slash and are validated by the view, so a
# malformed one is a JSON 404 from the API rather than the site's HTML 404 page.
ANY_SEGMENT = r"[^/]+"


class ApiViewMixin:
    """Conditional GET (ETag, Last-Modified → 304) and CORS for reads, on every API view."""

    permission_classes = [ReadAnyoneWriteAuthenticated]
    last_modified = None  # set by detail views: a datetime

    @cached_property
    def visibility(self):
        return visibility_for(self.request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            _add_cors(request, response)
        # What a client sees depends on who it is: caches must not share across credentials.
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        etag = f'"{hashlib.blake2b(response.content, digest_size=16).hexdigest()}"'
        response["ETag"] = etag
        memoise_etag(request, etag)  # later conditional GETs: pagecache.NotModifiedMiddleware
        last_modified = None
        if self.last_modified is not None:
            last_modified = int(self.last_modified.timestamp())
            response["Last-Modified"] = http_date(last_modified)
        conditional = get_conditional_response(
            request, etag=etag, last_modified=last_modified, response=response
        )
        return conditional if conditional is not None else response


def _add_cors(request, response):
    origin = request.headers.get("Origin")
    allowed = getattr(settings, "API_CORS_ALLOWED_ORIGINS", ["*"])
    if not origin or not allowed:
        return
    if "*" in allowed:
        response["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ("Origin",))
    else:
        return
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Authorization, If-None-Match, If-Modified-Since"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Retry-After"
    response["Access-Control-Max-Age"] = "86400"


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404(_("没有这一天。")) from None


def _item_prefetches(visibility):
    return Prefetch(
        "entity_links",
        queryset=visibility.links().order_by("entity__name", "pk"),
        to_attr="visible_links",
    )


def _validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ----------------------------------------------------------------------------- bulletins

DATE_PARAM = OpenApiParameter(
    "date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="Issue date, YYYY-MM-DD."
)
COMMENT_TRANSITION = {"request": s.CommentSerializer, "responses": s.BulletinDetailSerializer}


@extend_schema_view(
    list=extend_schema(summary="Issues, newest first"),
    retrieve=extend_schema(
        summary="One issue: sections → items → entities", parameters=[DATE_PARAM]
    ),
    create=extend_schema(
        summary="Create a draft issue for a date",
        request=s.BulletinCreateSerializer,
        responses={201: s.BulletinDetailSerializer},
    ),
)
class BulletinViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_field = "issued_on"
    lookup_url_kwarg = "date"
    lookup_value_regex = ANY_SEGMENT
    filterset_class = BulletinFilter
    pagination_class = KeysetPagination
    keyset = [("issued_on", True, "date"), ("pk", True, "int")]
    serializer_class = s.BulletinSummarySerializer

    def get_serializer_class(self):
        if self.action == "list":
            return s.BulletinSummarySerializer
        return s.BulletinDetailSerializer

    def get_queryset(self):
        bulletins = self.visibility.bulletins().order_by("-issued_on")
        if self.action == "list":
            ranked = self.visibility.issue_items().filter(headline_rank__isnull=False)
            if self.visibility.is_editorial:
                ranked = ranked.exclude(status=ItemStatus.SPIKED)
            bulletins = bulletins.prefetch_related(
                Prefetch(
                    "items",
                    queryset=ranked.only("pk", "bulletin_id", "headline", "headline_rank"),
                    to_attr="headline_items",
                )
            )
        return bulletins

    def get_object(self):
        day = _parse_date(self.kwargs["date"])
        bulletin = self.get_queryset().filter(issued_on=day).first()
        if bulletin is None:
            retracted = Bulletin.objects.retracted().filter(issued_on=day).first()
            if retracted is not None:
                raise Retracted(
                    _("%(date)s 的日报已撤回:%(note)s")
                    % {"date": day, "note": retracted.retraction_note}
                )
            raise Http404(day)
        self.check_object_permissions(self.request, bulletin)
        return bulletin

    def _issue(self, bulletin):
        items = self.visibility.issue_items().filter(bulletin=bulletin)
        bulletin.issue_items = list(
            items.exclude(status=ItemStatus.SPIKED)
            .select_related("section", "bulletin")
            .prefetch_related(_item_prefetches(self.visibility))
            .in_issue_order()
        )
        return bulletin

    def _detail_response(self, bulletin, *, status_code=200, reload=True):
        """The issue as it is now (after a write, re-read: the workflow saved a copy)."""
        if reload:
            bulletin = Bulletin.objects.get(pk=bulletin.pk)
        bulletin = self._issue(bulletin)
        data = s.BulletinDetailSerializer(bulletin, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        bulletin = self.get_object()
        self.last_modified = bulletin.updated_at
        return self._detail_response(bulletin, reload=False)

    def create(self, request, *args, **kwargs):
        data = _validated(s.BulletinCreateSerializer, request)
        bulletin = workflow.create_bulletin(
            issued_on=data["issued_on"], by=request.user, dateline=data["dateline"]
        )
        return self._detail_response(bulletin, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Import a whole issue from its text (a draft)",
        request=s.ImportSerializer,
        responses={201: s.BulletinDetailSerializer},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_text(self, request):
        data = _validated(s.ImportSerializer, request)
        try:
            result = import_issue(data["text"], by=request.user, replace=data["replace"])
        except ParseError as exc:
            raise ValidationError({"text": [str(exc)]}) from None
        return self._detail_response(result.bulletin, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The issue as text, Markdown, HTML or a WeChat 公众号 article",
        parameters=[
            DATE_PARAM,
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["text", "markdown", "html", "wechat"],
                description=(
                    "text (default): the canonical 日报 text; wechat: inline-styled HTML for "
                    "the 公众号 editor, with a 阅读原文 link."
                ),
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiTypes.STR,
            (200, "text/markdown"): OpenApiTypes.STR,
            (200, "text/html"): OpenApiTypes.STR,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, date=None):
        fmt = request.query_params.get("format", "text")
        if fmt not in exporters.FORMATS:
            raise ValidationError({"format": [_("应为 text、markdown、html 或 wechat。")]})
        bulletin = self.get_object()
        self.last_modified = bulletin.updated_at
        items = issue_items(bulletin, include_unapproved=self.visibility.is_editorial)
        exported = exporters.export(bulletin, format=fmt, items=items)
        return HttpResponse(exported.content, content_type=exported.content_type)

    @extend_schema(
        summary="Submit all draft items for review", parameters=[DATE_PARAM], **COMMENT_TRANSITION
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, date=None):
        data = _validated(s.CommentSerializer, request)
        bulletin = workflow.submit_bulletin(
            self.get_object(), by=request.user, comment=data["comment"]
        )
        return self._detail_response(bulletin)

    @extend_schema(
        summary="Publish an approved issue now (or at `at`)",
        parameters=[DATE_PARAM],
        request=s.PublishSerializer,
        responses=s.BulletinDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, date=None):
        data = _validated(s.PublishSerializer, request)
        bulletin = workflow.publish(self.get_object(), by=request.user, at=data.get("at"))
        return self._detail_response(bulletin)

    @extend_schema(
        summary="Schedule an approved issue",
        parameters=[DATE_PARAM],
        request=s.ScheduleSerializer,
        responses=s.BulletinDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request, date=None):
        data = _validated(s.ScheduleSerializer, request)
        bulletin = workflow.schedule(self.get_object(), by=request.user, at=data["at"])
        return self._detail_response(bulletin)

    @extend_schema(
        summary="Correct a published issue (visible note, optionally new item text)",
        parameters=[DATE_PARAM],
        request=s.CorrectSerializer,
        responses=s.BulletinDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, date=None):
        data = _validated(s.CorrectSerializer, request)
        bulletin = self.get_object()
        item = None
        if data.get("item") is not None:
            item = bulletin.items.filter(pk=data["item"]).first()
            if item is None:
                raise ValidationError({"item": [_("该条目不属于这期日报。")]})
        workflow.correct(
            bulletin,
            by=request.user,
            note=data["note"],
            item=item,
            body=data.get("body"),
            expected_version=data.get("version"),
        )
        return self._detail_response(bulletin)

    @extend_schema(
        summary="Retract a published issue (a visible notice replaces it)",
        parameters=[DATE_PARAM],
        request=s.RequiredCommentSerializer,
        responses=s.BulletinDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def retract(self, request, date=None):
        data = _validated(s.RequiredCommentSerializer, request)
        bulletin = workflow.retract(self.get_object(), by=request.user, comment=data["comment"])
        return self._detail_response(bulletin)

    @extend_schema(
        summary="Set the order (and sections) of the issue's items",
        parameters=[DATE_PARAM],
        request=s.ReorderSerializer,
        responses=s.BulletinDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request, date=None):
        data = _validated(s.ReorderSerializer, request)
        bulletin = self.get_object()
        order = [(entry["item"], entry["section"].pk) for entry in data["order"]]
        workflow.reorder_items(bulletin, by=request.user, order=order)
        return self._detail_response(bulletin)


# ----------------------------------------------------------------------------- items

ITEM_TRANSITION = {"request": s.CommentSerializer, "responses": s.ItemSerializer}


class ItemListMixin:
    """Cursor-paginated, searchable item lists (``/items/`` and ``/entities/{slug}/items/``)."""

    def item_queryset(self):
        return (
            self.visibility.items()
            .select_related("section", "bulletin")
            .prefetch_related(_item_prefetches(self.visibility))
        )

    def paginated_items(self, queryset):
        filterset = ItemFilter(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        queryset = filterset.qs
        params = filterset.form.cleaned_data
        query = (params.get("q") or "").strip()
        ordering = params.get("ordering") or ("relevance" if query else DEFAULT_ITEM_ORDERING)
        ranking = None
        if query and ordering == "relevance":
            ranking = partial(_ranked, query, queryset)
        elif query:
            queryset = queryset.filter(pk__in=_ranked(query, queryset, limit=None))
        if ordering == "relevance" and not query:
            ordering = DEFAULT_ITEM_ORDERING
        paginator = ItemCursorPagination()
        rows = paginator.paginate_queryset(
            queryset, self.request, self, ordering=ordering, ranking=ranking
        )
        data = s.ItemSerializer(rows, many=True, context=self.get_serializer_context()).data
        return paginator.get_paginated_response(data)


def _ranked(query: str, queryset, limit: int) -> list[int]:
    """The site's search, best first, restricted to what the filters (and visibility) allow."""
    return search_ids(query, items=queryset.prefetch_related(None), limit=limit)


ITEM_ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="Items, filtered and searched", filters=True),
    retrieve=extend_schema(summary="One item", parameters=[ITEM_ID_PARAM]),
    create=extend_schema(
        summary="Add a draft item to an unpublished issue",
        request=s.ItemCreateSerializer,
        responses={201: s.ItemSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit an item (send the version you edited)",
        parameters=[ITEM_ID_PARAM],
        request=s.ItemUpdateSerializer,
        responses=s.ItemSerializer,
    ),
)
class ItemViewSet(ApiViewMixin, ItemListMixin, viewsets.GenericViewSet):
    serializer_class = s.ItemSerializer
    filterset_class = ItemFilter
    pagination_class = ItemCursorPagination
    lookup_value_regex = ANY_SEGMENT
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return self.item_queryset()

    def filter_queryset(self, queryset):
        return queryset  # the list applies ItemFilter itself (search ranking → pagination)

    def list(self, request, *args, **kwargs):
        return self.paginated_items(self.get_queryset())

    def retrieve(self, request, *args, **kwargs):
        try:
            item = self.get_object()
        except Http404:
            pk = str(self.kwargs.get("pk", ""))
            withdrawn = Item.objects.withdrawn().filter(pk=pk).first() if pk.isdigit() else None
            if withdrawn is not None:
                raise Retracted(
                    _("这条内容已于 %(at)s 撤下:%(note)s")
                    % {
                        "at": timezone.localtime(withdrawn.withdrawn_at).strftime("%Y-%m-%d %H:%M"),
                        "note": withdrawn.withdrawal_note,
                    },
                    code="withdrawn",
                ) from None
            raise
        self.last_modified = max(item.updated_at, item.bulletin.updated_at)
        return Response(self.get_serializer(item).data)

    def _item_response(self, item, *, status_code=200):
        item = self.item_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data, status=status_code)

    def create(self, request, *args, **kwargs):
        data = dict(_validated(s.ItemCreateSerializer, request))
        bulletin = self.visibility.bulletins().filter(issued_on=data.pop("bulletin")).first()
        if bulletin is None:
            # The same answer whether the issue exists or not: a reader learns nothing.
            workflow.require(request.user, "edit")
            raise ValidationError({"bulletin": [_("这一天没有日报。")]})
        item = workflow.add_item(bulletin, by=request.user, **data)
        return self._item_response(item, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        data = dict(_validated(s.ItemUpdateSerializer, request))
        version = data.pop("version")
        item = workflow.edit_item(item, by=request.user, expected_version=version, **data)
        return self._item_response(item)

    @extend_schema(summary="Submit for review", parameters=[ITEM_ID_PARAM], **ITEM_TRANSITION)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = _validated(s.CommentSerializer, request)
        item = workflow.submit_item(self.get_object(), by=request.user, comment=data["comment"])
        return self._item_response(item)

    @extend_schema(
        summary="Approve (not your own item)", parameters=[ITEM_ID_PARAM], **ITEM_TRANSITION
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = _validated(s.CommentSerializer, request)
        item = workflow.approve_item(self.get_object(), by=request.user, comment=data["comment"])
        return self._item_response(item)

    @extend_schema(
        summary="Send back with a comment (not your own item)",
        parameters=[ITEM_ID_PARAM],
        request=s.RequiredCommentSerializer,
        responses=s.ItemSerializer,
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        data = _validated(s.RequiredCommentSerializer, request)
        item = workflow.request_changes(self.get_object(), by=request.user, comment=data["comment"])
        return self._item_response(item)

    @extend_schema(
        summary="Spike (keep, never publish)", parameters=[ITEM_ID_PARAM], **ITEM_TRANSITION
    )
    @action(detail=True, methods=["post"])
    def spike(self, request, pk=None):
        data = _validated(s.CommentSerializer, request)
        item = workflow.spike_item(self.get_object(), by=request.user, comment=data["comment"])
        return self._item_response(item)

    @extend_schema(
        summary="Link an entity to the item (confirmed)",
        parameters=[ITEM_ID_PARAM],
        request=s.LinkSerializer,
        responses=s.ItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        item = self.get_object()
        data = _validated(s.LinkSerializer, request)
        entity_services.link(item, data["entity"], by=request.user, role=data["role"])
        return self._item_response(item)

    @extend_schema(
        summary="Remove an entity link from the item",
        parameters=[ITEM_ID_PARAM],
        request=s.UnlinkSerializer,
        responses=s.ItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def unlink(self, request, pk=None):
        item = self.get_object()
        data = _validated(s.UnlinkSerializer, request)
        entity_services.unlink(item, data["entity"], by=request.user)
        return self._item_response(item)


# ----------------------------------------------------------------------------- entities

SLUG_PARAM = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="Entities (companies, drugs, regulators …)"),
    retrieve=extend_schema(
        summary="One entity, with counts and related entities", parameters=[SLUG_PARAM]
    ),
)
class EntityViewSet(ApiViewMixin, ItemListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reads for everyone; create, edit and merge for chief editors (``bulletins.entities``)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_field = "slug"
    lookup_value_regex = ANY_SEGMENT
    filterset_class = EntityFilter
    pagination_class = KeysetPagination
    keyset = [("type", False, "str"), ("name", False, "str"), ("pk", False, "int")]
    serializer_class = s.EntitySerializer

    def get_serializer_class(self):
        return s.EntityDetailSerializer if self.action == "retrieve" else s.EntitySerializer

    def get_queryset(self):
        entities = (
            self.visibility.entities().select_related("parent").order_by("type", "name", "pk")
        )
        if self.action == "retrieve":
            entities = entities.prefetch_related("aliases")
        return entities

    def get_object(self):
        # A merged entity's slug keeps working: it answers with the survivor.
        entity = Entity.objects.resolve(self.kwargs["slug"])
        if entity is None:
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=entity.pk)

    def _counts(self, entities) -> dict[int, int]:
        ids = [e.pk for e in entities]
        if not self.visibility.is_editorial:  # what readers see: the site's read model
            return readmodels.mention_counts(ids)
        rows = (
            self.visibility.public_links()
            .filter(entity_id__in=ids)
            .values("entity_id")
            .annotate(n=Count("pk"))  # one link per (item, entity): no DISTINCT needed
            .values_list("entity_id", "n")
        )
        return dict(rows)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = {
            **self.get_serializer_context(),
            "item_counts": self._counts(page),
            "visible_parents": self._visible_parents(page),
        }
        data = s.EntitySerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        entity = self.get_object()
        self.last_modified = entity.updated_at
        context = {
            **self.get_serializer_context(),
            "item_counts": self._counts([entity]),
            "related": self._related(entity),
            "visible_parents": self._visible_parents([entity]),
            # Children by the same rule as every entity list: public ones for readers.
            "children": list(
                self.visibility.entities()
                .filter(parent=entity)
                .order_by("slug")
                .values_list("slug", flat=True)
            ),
        }
        return Response(s.EntityDetailSerializer(entity, context=context).data)

    def _visible_parents(self, entities) -> set[int]:
        """Parents this client may see (an unpublished parent is not named to readers)."""
        ids = {e.parent_id for e in entities if e.parent_id}
        if not ids:
            return set()
        return set(self.visibility.entities().filter(pk__in=ids).values_list("pk", flat=True))

    def _related(self, entity, limit=10):
        """The site's co-mentions (``readmodels.co_mentions``), as JSON."""
        return [
            {"slug": e.slug, "name": e.name, "type": e.type, "shared_items": e.n}
            for e in readmodels.co_mentions(entity, limit=limit)
        ]

    @extend_schema(
        summary="Create an entity (chief editors)",
        request=s.EntityWriteSerializer,
        responses={201: s.EntityDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = dict(_validated(s.EntityWriteSerializer, request))
        entity = entity_services.create_entity(
            by=request.user,
            name=data.pop("name"),
            type=data.pop("type"),
            aliases=data.pop("aliases", ()),
            **data,
        )
        self.kwargs["slug"] = entity.slug
        response = self.retrieve(request)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        summary="Edit an entity (chief editors); aliases given are added",
        parameters=[SLUG_PARAM],
        request=s.EntityUpdateSerializer,
        responses=s.EntityDetailSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        entity = self.get_object()
        data = dict(_validated(s.EntityUpdateSerializer, request))
        row = {"slug": entity.slug, "name": entity.name, "type": entity.type}
        if "parent" in data:
            parent = data.pop("parent")
            if entity.creates_cycle(parent):
                raise ValidationError({"parent": [parent_cycle_message(entity, parent)]})
            row["parent"] = parent.slug if parent else ""
        row.update(data)
        try:
            entity_services.import_entities([row], by=request.user)
        except entity_services.EntityImportError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return self.retrieve(request)

    @extend_schema(
        summary="Merge this entity into another (chief editors)",
        parameters=[SLUG_PARAM],
        request=s.MergeSerializer,
        responses=s.EntityDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, slug=None):
        source = self.get_object()
        data = _validated(s.MergeSerializer, request)
        target = entity_services.merge(source, data["into"], by=request.user)
        self.kwargs["slug"] = target.slug
        return self.retrieve(request)

    @extend_schema(
        summary="Items about this entity (newest first)",
        parameters=[SLUG_PARAM],
        responses=s.ItemSerializer(many=True),
        filters=True,
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=ItemCursorPagination,
        filterset_class=ItemFilter,
    )
    def items(self, request, slug=None):
        entity = self.get_object()
        links = self.visibility.links().filter(entity=entity)
        return self.paginated_items(about(self.item_queryset(), links))


# ----------------------------------------------------------------------------- sections


@extend_schema_view(
    list=extend_schema(summary="Sections, in issue order"),
    retrieve=extend_schema(summary="One section", parameters=[SLUG_PARAM]),
)
class SectionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SectionSerializer
    lookup_field = "slug"
    lookup_value_regex = ANY_SEGMENT
    pagination_class = KeysetPagination
    keyset = [("position", False, "int"), ("pk", False, "int")]
    filterset_class = None

    def get_queryset(self):
        return self.visibility.sections().order_by("position", "pk")


# ----------------------------------------------------------------------------- auth


@extend_schema(
    summary="Get your API token",
    request=s.TokenRequestSerializer,
    responses=s.TokenSerializer,
    examples=[
        OpenApiExample("editor", value={"username": "editor", "password": "…"}, request_only=True)
    ],
)
class TokenView(ApiViewMixin, ObtainAuthToken):
    """Exchange a username and password for the token sent as ``Authorization: Token …``."""

    permission_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        # django-axes refuses a locked-out login inside authenticate(), which Django turns into
        # "wrong password"; ask first so the client learns it is locked out and for how long.
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if not AxesProxyHandler.is_allowed(request, {"username": username}):
            raise exceptions.Throttled(
                wait=lockout.cooloff_seconds(), detail=lockout.lockout_message()
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
