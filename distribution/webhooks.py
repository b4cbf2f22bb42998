"""Signed webhook requests to partners, refusing targets inside our own network (SSRF).

Signature: ``X-Newsroom-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
The target host is resolved once, every address must be public, and the connection goes to
that very address (a DNS answer that changes between the check and the request — rebinding —
cannot redirect it). Redirects are not followed.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from bulletins.models import Bulletin, ItemEntity, ItemStatus

from .models import WebhookEvent

SIGNATURE_HEADER = "X-Newsroom-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now=None) -> bool:
    """What a partner does (the README has the same in a few lines)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts['v1']}")


def validate_events(events) -> None:
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": _("至少选择一个事件。")}, code="required")
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown:
        raise ValidationError(
            {"events": _("未知事件:%(events)s") % {"events": ", ".join(map(str, unknown))}},
            code="invalid",
        )


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) or ValidationError saying why not."""
    allow_private = settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_private and scheme == "http"):
        raise ValidationError(_("只接受 https 地址。"), code="https_required")
    if not parts.hostname:
        raise ValidationError(_("地址缺少主机名。"), code="invalid")
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(
            _("无法解析主机 %(host)s:%(error)s") % {"host": parts.hostname, "error": error},
            code="unresolvable",
        ) from None
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        bad = [a for a in addresses if _forbidden(a)]
        if bad:
            raise ValidationError(
                _("目标 %(host)s 指向内网、环回或链路本地地址(%(addresses)s),已拒绝。")
                % {"host": parts.hostname, "addresses": ", ".join(bad)},
                code="private_address",
            )
    return scheme, parts.hostname, port, addresses[0]


def validate_target(url: str) -> None:
    try:
        resolve_target(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}, code=error.code) from None


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def encode(payload: dict) -> bytes:
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()


def post(url: str, *, secret: str, event: str, delivery_id: int, payload: dict) -> int:
    """POST the signed payload; the HTTP status, or an exception saying what went wrong."""
    scheme, host, port, address = resolve_target(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = encode(payload)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        host, port, address=address, timeout=settings.NEWSROOM_WEBHOOK_TIMEOUT
    )
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "newsroom-webhooks/1",
                "X-Newsroom-Event": event,
                "X-Newsroom-Delivery": str(delivery_id),
                SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            },
        )
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


# ----------------------------------------------------------------------------- payloads


class _SiteRequest:
    """Just enough of a request for the API serializers to write absolute site URLs."""

    def build_absolute_uri(self, path):
        from .services import site_url

        return site_url(path)


def issue_payload(bulletin: Bulletin) -> dict:
    """The issue as the API serialises it, with only its published items."""
    from bulletins.api.serializers import BulletinDetailSerializer
    from bulletins.models import Item

    links = ItemEntity.objects.filter(is_confirmed=True).select_related("entity")
    bulletin.issue_items = list(
        Item.objects.published()
        .filter(bulletin=bulletin)
        .exclude(status=ItemStatus.SPIKED)
        .select_related("section", "bulletin")
        .prefetch_related(
            Prefetch(
                "entity_links",
                queryset=links.order_by("entity__name", "pk"),
                to_attr="visible_links",
            )
        )
        .in_issue_order()
    )
    data = BulletinDetailSerializer(bulletin, context={"request": _SiteRequest()}).data
    return json.loads(encode(data))


def withdrawal_payload(item) -> dict:
    """What a partner needs to take its copy down: which item, where, why and when."""
    from .services import site_url

    return {
        "id": item.pk,
        "issued_on": f"{item.bulletin.issued_on:%Y-%m-%d}",
        "url": site_url(item.get_absolute_url()),
        "status": item.status,
        "withdrawal_note": item.withdrawal_note,
        "withdrawn_at": item.withdrawn_at.isoformat() if item.withdrawn_at else None,
    }


def retraction_payload(bulletin: Bulletin) -> dict:
    from .services import site_url

    return {
        "issued_on": f"{bulletin.issued_on:%Y-%m-%d}",
        "url": site_url(bulletin.get_absolute_url()),
        "status": bulletin.status,
        "retraction_note": bulletin.retraction_note,
        "retracted_at": bulletin.retracted_at.isoformat() if bulletin.retracted_at else None,
    }
