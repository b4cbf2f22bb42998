from .models import PublicationSettings, reverse_memo


def publication(request):
    return {"publication": PublicationSettings.load()}


def desk(request):
    """The admin header's count of unread notifications (admin pages only: one query)."""
    from .notifications import unread
    from .roles import is_staff_member

    user = getattr(request, "user", None)
    if user is None or not request.path.startswith(reverse_memo("admin:index")):
        return {}
    if not is_staff_member(user):
        return {}
    return {"desk_unread": unread(user).count()}
