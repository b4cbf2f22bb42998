"""Load the demo: one user per role, the starter gazetteer, a published issue and a draft in review.

Idempotent: what exists already is left as it is. Everything editorial goes through
``bulletins.workflow`` so that the demo history looks like real work.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .. import workflow
from ..entities import apply_fact_suggestions
from ..models import Bulletin, Item, Section
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
    """The starter gazetteer (bulletins/data/gazetteer.json); re-loading changes nothing."""
    from ..entities import load_gazetteer

    return load_gazetteer()


def link_entities(item: Item) -> None:
    """Link an item to every entity the linker finds in it, confirmed (demo issues are reviewed)."""
    from ..entities import auto_link

    auto_link(item, by=None, is_confirmed=True)


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
        apply_fact_suggestions(item, by=editor)
    return bulletin


@transaction.atomic
def load_demo() -> dict:
    users = load_users()
    load_entities()
    editor, reviewer, chief = users[EDITOR], users[REVIEWER], users[CHIEF]
    created = []
    for day, rows in content.EARLIER_ISSUES.items():
        if not Bulletin.objects.filter(issued_on=day).exists():
            bulletin = _build_issue(day, rows, editor=editor)
            workflow.submit_bulletin(bulletin, by=editor)
            for item in bulletin.items.all():
                workflow.approve_item(item, by=reviewer)
            # Published on its own morning (Asia/Shanghai), as it was at the time.
            at = timezone.make_aware(dt.datetime.combine(day, dt.time(7, 30)))
            created.append(workflow.publish(bulletin, by=chief, at=at))
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
