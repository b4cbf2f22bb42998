"""Share images as responses, and the share metadata of issue and item pages.

Only what is published: an unpublished issue or item answers 404, so a draft's text can
never be drawn into an image (``published()`` is asked before anything is rendered).
"""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import Truncator

from . import reader, share
from .models import Bulletin, Item, ItemStatus, PublicationSettings
from .views import issue_context

IMAGE_MAX_AGE = 60 * 60 * 24


def _issue_parts(bulletin, context=None) -> dict:
    context = context or issue_context(bulletin)
    if "glance" not in context:
        reader.annotate(context["items"])
        context["glance"] = reader.glance(context["items"], base_url="")
    kinds = [f"{row['label']} {row['n']}" for row in context["glance"]["kinds"]]
    return share.issue_parts(
        bulletin,
        publication=PublicationSettings.load(),
        headlines=list(context["headlines"]),
        kinds=kinds,
    )


def _item_parts(item) -> dict:
    if not hasattr(item, "kind_chip"):
        reader.annotate([item])
    chips = [item.kind_chip] if item.kind_chip else []
    chips += [value for _label, value in item.fact_chips]
    return share.item_parts(item, publication=PublicationSettings.load(), chips=chips)


def _image_response(name: str, request):
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    # A URL with the current ?v= never changes; without it, readers revalidate daily.
    response["Cache-Control"] = f"public, max-age={IMAGE_MAX_AGE}"
    return response


def issue_image(request, year, month, day):
    try:
        issued_on = dt.date(year, month, day)
    except ValueError as exc:
        raise Http404 from exc
    bulletin = get_object_or_404(Bulletin.objects.published(), issued_on=issued_on)
    name = share.stored_image("issues", f"{issued_on:%Y-%m-%d}", _issue_parts(bulletin))
    return _image_response(name, request)


def item_image(request, pk):
    item = get_object_or_404(
        Item.objects.published().for_reading(), pk=pk, status=ItemStatus.APPROVED
    )
    name = share.stored_image("items", str(item.pk), _item_parts(item))
    return _image_response(name, request)


def issue_share_context(request, context: dict) -> dict:
    bulletin = context["bulletin"]
    parts = _issue_parts(bulletin, context)
    url = reverse(
        "bulletins:issue_image",
        kwargs={
            "year": bulletin.issued_on.year,
            "month": bulletin.issued_on.month,
            "day": bulletin.issued_on.day,
        },
    )
    return {
        "share_image": request.build_absolute_uri(f"{url}?v={share.sign(parts)}"),
        "share_title": Truncator(parts["title"]).chars(60),
        "share_description": bulletin.effective_dateline,
    }


def item_share_context(request, item) -> dict:
    parts = _item_parts(item)
    url = reverse("bulletins:item_image", kwargs={"pk": item.pk})
    return {
        "share_image": request.build_absolute_uri(f"{url}?v={share.sign(parts)}"),
        "share_title": Truncator(item.headline or item.body).chars(40),
        "share_description": Truncator(item.body).chars(120),
    }
