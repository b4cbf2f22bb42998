"""Load the demo: one user per role, the demo entities, a published issue and a draft in review.

Idempotent: what exists already is left as it is. Everything editorial goes through
``bulletins.workflow`` so that the demo history looks like real work.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .. import workflow
from ..models import Bulletin, Entity, EntityAlias, Item, ItemEntity, LinkSource, Section
from ..roles import CHIEF, EDITOR, REVIEWER
from . import content

DEMO_USERS = [
    ("editor", "demo-editor-pass", EDITOR, "编辑 小王"),
    ("reviewer", "demo-reviewer-pass", REVIEWER, "审核 小李"),
    ("chief", "demo-chief-pass", CHIEF, "主编 老张"),
]


def load_users():
    User = get_user_model()
    users = {}
    for username, password, role, full_name in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "first_name": full_name,
                "email": f"{username}@example.com",
            },
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    return users


def load_entities():
    for type_, name, name_en, slug, aliases in content.ENTITIES:
        entity, _created = Entity.objects.get_or_create(
            slug=slug, defaults={"type": type_, "name": name, "name_en": name_en}
        )
        for alias in aliases:
            EntityAlias.objects.get_or_create(
                entity=entity, alias=alias, defaults={"kind": "en" if alias.isascii() else "zh"}
            )


def link_entities(item: Item) -> None:
    """Link an item to every demo entity whose name or alias it contains."""
    from ..linking import suggest_for_item

    for suggestion in suggest_for_item(item):
        ItemEntity.objects.get_or_create(
            item=item, entity=suggestion.entity, defaults={"source": LinkSource.LINKER}
        )


def _build_issue(day, rows, *, editor):
    sections = {s.slug: s for s in Section.objects.all()}
    bulletin = workflow.create_bulletin(issued_on=day, by=editor)
    for slug, body, headline, rank in rows:
        item = workflow.add_item(
            bulletin,
            by=editor,
            section=sections[slug],
            body=body,
            headline=headline,
            headline_rank=rank,
        )
        link_entities(item)
    return bulletin


@transaction.atomic
def load_demo() -> dict:
    users = load_users()
    load_entities()
    editor, reviewer, chief = users[EDITOR], users[REVIEWER], users[CHIEF]
    created = []
    if not Bulletin.objects.filter(issued_on=content.PUBLISHED_ON).exists():
        bulletin = _build_issue(content.PUBLISHED_ON, content.PUBLISHED_ITEMS, editor=editor)
        workflow.submit_bulletin(bulletin, by=editor)
        for item in bulletin.items.all():
            workflow.approve_item(item, by=reviewer)
        bulletin = workflow.publish(bulletin, by=chief, at=timezone.now())
        created.append(bulletin)
    if not Bulletin.objects.filter(issued_on=content.DRAFT_ON).exists():
        bulletin = _build_issue(content.DRAFT_ON, content.DRAFT_ITEMS, editor=editor)
        first = bulletin.items.order_by("pk").first()
        workflow.submit_item(first, by=editor)
        bulletin.refresh_from_db()
        created.append(bulletin)
    return {"users": users, "created": created}
