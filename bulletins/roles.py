"""Who may do what: the three editorial roles (Django groups created by a migration) and the
permission matrix every service checks.

The arrow runs one way: ``workflow``, ``entities``, ``sections`` and the importer import this
module; it imports no service. ``bulletins.workflow`` re-exports ``can``, ``require``,
``ACTIONS`` and ``TransitionNotAllowed`` so callers such as ``workflow.can(user, "edit")`` keep
their shape.

=================  ======  ========  =====
action             编辑     审核       主编
=================  ======  ========  =====
edit/submit/spike  yes     no        yes
approve / request  no      not own   not own
publish & after    no      no        yes
entities/sections  no      no        yes
=================  ======  ========  =====

"Not own" (four eyes) is a per-item rule and lives with the transitions in the workflow.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Every service takes the acting user as ``by: User`` (the project keeps Django's user model).
User = AbstractBaseUser

EDITOR = "编辑"
REVIEWER = "审核"
CHIEF = "主编"
ROLES = (EDITOR, REVIEWER, CHIEF)
ROLE_LABELS = {
    EDITOR: gettext_lazy("editor"),
    REVIEWER: gettext_lazy("reviewer"),
    CHIEF: gettext_lazy("chief editor"),
}


class TransitionNotAllowed(Exception):
    """The one error type of the services: the action was refused, and why.

    ``code`` is ``forbidden`` (role or four-eyes), ``invalid_state`` (wrong status),
    ``invalid`` (missing comment, empty issue, blocking pre-publish check) or ``conflict``
    (a stale version; ``current`` then holds the row as it is now). ``field`` names the
    input at fault when there is one (the API reports the message under that field).
    """

    def __init__(self, message, *, code="invalid_state", current=None, errors=None, field=None):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.current = current
        self.errors = errors or []
        self.field = field


ACTIONS = {
    "edit": {EDITOR, CHIEF},
    "submit": {EDITOR, CHIEF},
    "spike": {EDITOR, CHIEF},
    "unspike": {EDITOR, CHIEF},
    "approve": {REVIEWER, CHIEF},
    "request_changes": {REVIEWER, CHIEF},
    "publish": {CHIEF},
    "schedule": {CHIEF},
    "unschedule": {CHIEF},
    "correct": {CHIEF},
    "retract": {CHIEF},
    # A new entity (admin "add" and POST /api/v1/entities/ alike): editors meet new names
    # first; editing, merging, deleting and importing entities stay the chief's.
    "create_entity": {EDITOR, CHIEF},
    "withdraw": {CHIEF},
    "manage_entities": {CHIEF},
    "manage_sections": {CHIEF},
}
ACTION_LABELS = {
    "edit": gettext_lazy("编辑"),
    "submit": gettext_lazy("提交审核"),
    "spike": gettext_lazy("弃用"),
    "unspike": gettext_lazy("恢复为草稿"),
    "approve": gettext_lazy("审核通过"),
    "request_changes": gettext_lazy("退回修改"),
    "publish": gettext_lazy("发布"),
    "schedule": gettext_lazy("定时发布"),
    "unschedule": gettext_lazy("取消定时"),
    "correct": gettext_lazy("更正"),
    "retract": gettext_lazy("撤回"),
    "create_entity": gettext_lazy("新建实体"),
    "withdraw": gettext_lazy("撤下条目"),
    "manage_entities": gettext_lazy("管理实体"),
    "manage_sections": gettext_lazy("管理栏目"),
}


def roles_of(user) -> frozenset[str]:
    """The role names a user holds; a superuser acts as chief editor."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_newsroom_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {CHIEF}
        user._newsroom_roles = cached
    return cached


def is_staff_member(user) -> bool:
    """Anyone in an editorial role may see unpublished work."""
    return bool(roles_of(user))


def can(user, action: str) -> bool:
    """Whether the user's role allows the action at all (four eyes is checked per item)."""
    return bool(roles_of(user) & ACTIONS[action])


def require(user, action: str, *, message=None) -> None:
    """Refuse (``forbidden``) unless the user's role allows the action."""
    if not can(user, action):
        raise TransitionNotAllowed(
            message or _("您没有权限执行“%(action)s”。") % {"action": ACTION_LABELS[action]},
            code="forbidden",
        )
