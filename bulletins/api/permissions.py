"""Who may see what through the API, decided once.

DRF's model permissions let any authenticated user read, and object permissions are not
applied to lists, so visibility is not a permission class: every ``get_queryset()`` starts
from ``Visibility`` instead. Editorial roles see unpublished work; everyone else (anonymous
clients, and logged-in users without a role) sees exactly what the public site shows.

Writes need an authenticated user; which role may do what is ``bulletins.roles``'
permission matrix, enforced by the workflow functions the views call.
"""

from dataclasses import dataclass

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..models import Bulletin, Entity, Item, ItemEntity, ItemStatus, Section
from ..roles import is_staff_member


@dataclass(frozen=True)
class Visibility:
    """The rows one request may read."""

    is_editorial: bool

    def bulletins(self):
        if self.is_editorial:
            return Bulletin.objects.all()
        return Bulletin.objects.published()

    def items(self):
        if self.is_editorial:
            return Item.objects.all()
        return Item.objects.published()

    def issue_items(self):
        """Items of a bulletin already known to be visible (cheaper than ``items()``)."""
        if self.is_editorial:
            return Item.objects.all()
        return Item.objects.filter(status=ItemStatus.APPROVED)

    def links(self):
        """Entity links shown on items: unconfirmed linker guesses stay in the newsroom."""
        links = ItemEntity.objects.select_related("entity")
        return links if self.is_editorial else links.confirmed()

    def public_links(self):
        """Links that make an entity worth listing: to a visible item, confirmed for readers."""
        if self.is_editorial:
            return self.links()
        return self.links().on_published_items()

    def entities(self):
        if self.is_editorial:
            return Entity.objects.live()
        return Entity.objects.public()

    def sections(self):
        if self.is_editorial:
            return Section.objects.all()
        return Section.objects.public()


def visibility_for(request) -> Visibility:
    return Visibility(is_editorial=is_staff_member(getattr(request, "user", None)))


class ReadAnyoneWriteAuthenticated(BasePermission):
    """Reads are open; a write needs a signed-in user (401 otherwise).

    The role check is the workflow's, so a refusal carries its reason (403 ``forbidden``).
    """

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated)
