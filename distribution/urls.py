"""Public subscription URLs, under the site's strict Content-Security-Policy (no script)."""

from django.urls import path
from django.views.decorators.csp import csp_override

from bulletins.urls import PUBLIC_CSP

from . import views

app_name = "distribution"


def public(view):
    return csp_override(PUBLIC_CSP)(view)


urlpatterns = [
    path("subscribe/", public(views.subscribe), name="subscribe"),
    path("subscribe/sent/", public(views.subscribe_sent), name="subscribe_sent"),
    path("subscribe/confirm/<str:token>/", public(views.confirm), name="confirm"),
    path("subscription/<str:token>/", public(views.manage), name="manage"),
    path("unsubscribe/<str:token>/", public(views.unsubscribe), name="unsubscribe"),
]
