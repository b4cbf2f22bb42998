"""The three editorial roles, as Django groups created by a migration.

The permission matrix of the design lives in ``bulletins.workflow``; this module only says
who holds which role.
"""

from django.utils.translation import gettext_lazy as _

EDITOR = "编辑"
REVIEWER = "审核"
CHIEF = "主编"
ROLES = (EDITOR, REVIEWER, CHIEF)
ROLE_LABELS = {EDITOR: _("editor"), REVIEWER: _("reviewer"), CHIEF: _("chief editor")}


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
