"""The messages: the daily email, correction and retraction notices, confirmation links.

Every newsletter message is multipart: plain text from the text exporter (the issue exactly
as it is sent out) and HTML from an inline-styled table template (what mail clients render),
with ``List-Unsubscribe`` (an https URL) and ``List-Unsubscribe-Post`` (RFC 8058 one-click).
The content shared by many recipients is rendered once per drain and personalised by
replacing placeholders: 10,000 emails are 10,000 string replacements, not renders.
"""

import email.message
import email.policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from bulletins.exporters.text import export_text, title_headlines
from bulletins.models import Bulletin, Item, PublicationSettings

from .models import Delivery, DeliveryKind, Subscriber
from .services import issue_items, manage_token, site_url

MANAGE = "__NEWSROOM_MANAGE_URL__"
UNSUBSCRIBE = "__NEWSROOM_UNSUBSCRIBE_URL__"


def personal_links(subscriber: Subscriber) -> dict[str, str]:
    token = manage_token(subscriber)
    return {
        MANAGE: site_url(reverse("distribution:manage", kwargs={"token": token})),
        UNSUBSCRIBE: site_url(reverse("distribution:unsubscribe", kwargs={"token": token})),
    }


def _fill(text: str, links: dict[str, str]) -> str:
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
    return text


RECIPIENT = "newsroom-recipient@placeholder.invalid"
MESSAGE_ID = "<newsroom-message-id@placeholder.invalid>"
# The MIME policy of every newsletter message. RFC 2369 header URLs cannot be folded: at the
# default 78 columns Python's email package turns a long List-Unsubscribe into RFC 2047
# encoded words, which mail clients do not read as a URL; RFC 5322 allows 998 a line.
POLICY = email.policy.SMTP.clone(max_line_length=998)


class _PreparedMIME(email.message.EmailMessage):
    """A message already serialised: what the mail backends read (``as_bytes``)."""

    def __init__(self, data: bytes):
        super().__init__(policy=POLICY)
        self._data = data

    def as_bytes(self, unixfrom=False, policy=None):
        return self._data

    def as_string(self, unixfrom=False, maxheaderlen=0, policy=None):
        return self._data.decode("utf-8")

    __bytes__ = as_bytes
    __str__ = as_string


class NewsletterMessage(EmailMultiAlternatives):
    """A Django email message whose MIME form may come pre-serialised from its template.

    Subject, body, alternatives and headers are the real, personalised values (an ESP backend
    reads those); ``message()`` returns the same content serialised once per issue and
    personalised by byte replacement, which is what makes 10,000 emails cheap.
    """

    prepared: bytes | None = None

    def message(self, *, policy=email.policy.default):
        if self.prepared is not None:
            return _PreparedMIME(self.prepared)
        return super().message(policy=POLICY)


class Rendered:
    def __init__(self, subject: str, text: str, html: str):
        self.subject, self.text, self.html = subject, text, html
        self._template = None

    def _build(self, links, *, to: str, message_id: str) -> NewsletterMessage:
        message = NewsletterMessage(
            subject=self.subject,
            body=_fill(self.text, links),
            to=[to],
            headers={
                "List-Unsubscribe": f"<{links[UNSUBSCRIBE]}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Message-ID": message_id,
            },
        )
        message.attach_alternative(_fill(self.html, links), "text/html")
        return message

    def _mime_template(self) -> bytes | None:
        """The MIME bytes with placeholders left literal, or None if encoding hid them."""
        if self._template is None:
            placeholders = {MANAGE: MANAGE, UNSUBSCRIBE: UNSUBSCRIBE}
            data = (
                self._build(placeholders, to=RECIPIENT, message_id=MESSAGE_ID).message().as_bytes()
            )
            expected = (
                (self.text + self.html).count(MANAGE),
                (self.text + self.html).count(UNSUBSCRIBE) + 1,
            )
            # A part encoded as base64 or quoted-printable (a line over 998 bytes) would hide
            # or split a placeholder: then every message is built the slow, sure way.
            found = data.count(MANAGE.encode()), data.count(UNSUBSCRIBE.encode())
            intact = found == expected and data.count(RECIPIENT.encode()) == 1
            self._template = data if intact and data.count(MESSAGE_ID.encode()) == 1 else b""
        return self._template or None

    def message(self, subscriber: Subscriber, *, message_id: str) -> NewsletterMessage:
        links = personal_links(subscriber)
        message = self._build(links, to=subscriber.email, message_id=message_id)
        template = self._mime_template()
        if template is not None and subscriber.email.isascii():
            data = template.replace(RECIPIENT.encode(), subscriber.email.encode())
            data = data.replace(MESSAGE_ID.encode(), message_id.encode())
            for placeholder, url in links.items():
                data = data.replace(placeholder.encode(), url.encode())
            message.prepared = data
        return message


def _context(bulletin: Bulletin, **extra) -> dict:
    publication = PublicationSettings.load()
    return {
        "publication": publication,
        "bulletin": bulletin,
        "issue_url": site_url(bulletin.get_absolute_url()),
        "site_url": site_url("/"),
        "manage_url": MANAGE,
        "unsubscribe_url": UNSUBSCRIBE,
        **extra,
    }


def _footer_text(context) -> str:
    return "\n\n" + _("在网站上阅读:%(url)s\n管理订阅:%(manage)s\n退订:%(unsubscribe)s\n") % {
        "url": context["issue_url"],
        "manage": MANAGE,
        "unsubscribe": UNSUBSCRIBE,
    }


def render_issue(bulletin: Bulletin, items: list[Item], *, partial: bool) -> Rendered:
    context = _context(bulletin, items=items, partial=partial)
    headlines = title_headlines(items)
    publication = context["publication"]
    subject = f"{publication.name}{publication.kind} {bulletin.issued_on:%Y-%m-%d}"
    if headlines:
        subject += ":" + ";".join(headlines[:3])
    text = export_text(bulletin, items=items)
    if partial:
        text = _("(您关注的公司与产品相关条目)") + "\n" + text
    context["sections"] = _grouped(items)
    html = render_to_string("distribution/email/issue.html", context)
    return Rendered(subject, text + _footer_text(context), html)


def _grouped(items):
    groups = []
    for item in items:
        if not groups or groups[-1]["section"].pk != item.section_id:
            groups.append({"section": item.section, "items": []})
        groups[-1]["items"].append({"body": item.body, "url": site_url(item.get_absolute_url())})
    return groups


def render_correction(delivery: Delivery) -> Rendered:
    bulletin, correction = delivery.bulletin, delivery.correction
    item = None
    if correction.item_id:
        item = Item.objects.published().filter(pk=correction.item_id).first()
    context = _context(bulletin, correction=correction, item=item)
    subject = _("更正:%(name)s %(date)s") % {
        "name": context["publication"].name,
        "date": f"{bulletin.issued_on:%Y-%m-%d}",
    }
    text = correction.note
    if item is not None:
        text += "\n\n" + _("更正后:") + "\n" + item.body
    html = render_to_string("distribution/email/notice.html", context | {"kind": "correction"})
    return Rendered(subject, text + _footer_text(context), html)


def render_retraction(delivery: Delivery) -> Rendered:
    bulletin = delivery.bulletin
    context = _context(bulletin)
    subject = _("撤回:%(name)s %(date)s") % {
        "name": context["publication"].name,
        "date": f"{bulletin.issued_on:%Y-%m-%d}",
    }
    text = _("%(date)s 的日报已撤回。") % {"date": f"{bulletin.issued_on:%Y-%m-%d}"}
    text += "\n" + bulletin.retraction_note
    html = render_to_string("distribution/email/notice.html", context | {"kind": "retraction"})
    return Rendered(subject, text + _footer_text(context), html)


class Skip(Exception):
    """This delivery must not go out (any more); the reason is recorded on its row."""


class Renderer:
    """Renders each distinct content once; decides whether a delivery may still go out."""

    def __init__(self):
        self._cache = {}
        self._public = {}

    def _is_public(self, bulletin: Bulletin) -> bool:
        if bulletin.pk not in self._public:
            self._public[bulletin.pk] = Bulletin.objects.published().filter(pk=bulletin.pk).exists()
        return self._public[bulletin.pk]

    def render(self, delivery: Delivery) -> Rendered:
        """The content of ``delivery``; ``Skip`` when it must not be sent (any more)."""
        bulletin = delivery.bulletin
        if delivery.kind == DeliveryKind.RETRACTION:
            key = ("retraction", bulletin.pk)
            if key not in self._cache:
                self._cache[key] = render_retraction(delivery)
            return self._cache[key]
        if not self._is_public(bulletin):
            raise Skip("issue not public")  # retracted, or never public: none of its text goes
        if delivery.kind == DeliveryKind.CORRECTION:
            key = ("correction", delivery.correction_id)
            if key not in self._cache:
                self._cache[key] = render_correction(delivery)
            return self._cache[key]
        key = ("issue", bulletin.pk, tuple(delivery.item_ids))
        if key not in self._cache:
            published = {item.pk: item for item in self._items(bulletin)}
            items = [published[pk] for pk in delivery.item_ids if pk in published]
            partial = len(items) != len(published)
            self._cache[key] = render_issue(bulletin, items, partial=partial) if items else None
        if self._cache[key] is None:
            raise Skip("none of its items is published")
        return self._cache[key]

    def _items(self, bulletin):
        key = ("items", bulletin.pk)
        if key not in self._cache:
            self._cache[key] = issue_items(bulletin)
        return self._cache[key]


def message_id(delivery: Delivery) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<delivery-{delivery.pk}@{domain}>"


def confirmation_message(
    subscriber: Subscriber, token: str, entity_names
) -> EmailMultiAlternatives:
    publication = PublicationSettings.load()
    url = site_url(reverse("distribution:confirm", kwargs={"token": token}))
    context = {
        "publication": publication,
        "confirm_url": url,
        "entity_names": entity_names,
        "days": settings.NEWSROOM_CONFIRM_LINK_DAYS,
        "site_url": site_url("/"),
    }
    text = render_to_string("distribution/email/confirm.txt", context)
    html = render_to_string("distribution/email/confirm.html", context)
    message = NewsletterMessage(  # readable 8-bit text: the link shows in `make run`'s console
        subject=_("请确认订阅%(name)s") % {"name": publication.name},
        body=text,
        to=[subscriber.email],
    )
    message.attach_alternative(html, "text/html")
    return message
