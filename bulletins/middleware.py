"""Admin-side bookkeeping that needs no worker."""

from django.urls import reverse

from . import workflow


class RecordWentLiveMiddleware:
    """Before an admin page, record scheduled issues whose time has passed (one indexed
    query when there are none; see ``workflow.record_went_live``). Readers are not
    involved: the public site derives "public" from ``publish_at`` on its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        if self.prefix is None:
            self.prefix = reverse("admin:index")
        if request.path.startswith(self.prefix):
            workflow.record_went_live()
        return self.get_response(request)
