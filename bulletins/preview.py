"""Preview of an unpublished issue exactly as the public page renders it.

Two ways in: staff open it from the bulletin's admin page (``BulletinAdmin.preview_view``),
and anyone holding a signed share link may read it — not change it — until the link
expires. The link is a ``django.core.signing`` token of the bulletin's id with a timestamp:
nothing is stored, so a link cannot be listed or guessed, and it dies with ``SECRET_KEY``.
A retracted issue is never shown through a link: its text has left every public surface.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .models import Bulletin, BulletinStatus, ItemStatus
from .views import issue_context

SHARE_SALT = "bulletins.preview.share"
# How long a share link works; e.g. NEWSROOM_PREVIEW_LINK_DAYS = 3 in settings.
SHARE_MAX_AGE = dt.timedelta(days=getattr(settings, "NEWSROOM_PREVIEW_LINK_DAYS", 3))
TEMPLATE = "admin/bulletins/bulletin_preview.html"  # extends bulletins/bulletin_detail.html


def share_token(bulletin: Bulletin) -> str:
    return signing.dumps({"bulletin": bulletin.pk}, salt=SHARE_SALT)


def share_url(request, bulletin: Bulletin) -> str:
    return request.build_absolute_uri(
        reverse("bulletin_share_preview", kwargs={"token": share_token(bulletin)})
    )


def share_expires_at(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + SHARE_MAX_AGE


def bulletin_from_token(token: str) -> Bulletin:
    """The bulletin a share token names; raises ``signing.BadSignature`` (or its subclass
    ``SignatureExpired``) for a forged or stale token, ``Http404`` for a deleted bulletin."""
    payload = signing.loads(token, salt=SHARE_SALT, max_age=SHARE_MAX_AGE)
    try:
        return Bulletin.objects.get(pk=payload["bulletin"])
    except (Bulletin.DoesNotExist, KeyError, TypeError) as exc:
        raise Http404("no such bulletin") from exc


def render_preview(request, bulletin: Bulletin, *, shared: bool) -> HttpResponse:
    # The public view's own context builder keeps the preview identical to the public page;
    # preview=True lays out the unapproved (but not spiked) items too.
    context = issue_context(bulletin, preview=True)
    context.update(
        {
            "is_preview": True,
            "preview_shared": shared,
            "preview_unapproved": bulletin.items.exclude(
                status__in=[ItemStatus.APPROVED, ItemStatus.SPIKED]
            ).count(),
        }
    )
    response = TemplateResponse(request, TEMPLATE, context)
    # A preview is nobody's public page: not cached by proxies, not indexed, no referrer leak.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def shared_preview(request, token: str) -> HttpResponse:
    """Read-only preview for someone without an account, through a signed, expiring link."""
    try:
        bulletin = bulletin_from_token(token)
    except signing.SignatureExpired:
        return HttpResponse(
            _("这个预览链接已过期,请向编辑部索取新的链接。"),
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    except signing.BadSignature as exc:
        raise Http404("bad preview token") from exc
    if bulletin.status == BulletinStatus.RETRACTED:
        return HttpResponse(
            _("这期日报已撤回。"), status=410, content_type="text/plain; charset=utf-8"
        )
    return render_preview(request, bulletin, shared=True)
