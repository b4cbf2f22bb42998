"""Public subscription pages: subscribe, confirm, manage, unsubscribe (no account needed).

Every state change goes through ``distribution.services``. A bad or expired link answers
400 with a page that says so and how to get a new one — never a 500.
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .forms import PreferencesForm, SubscribeForm
from .models import SubscriberStatus


def _client(request) -> str:
    """The reader's address; behind a proxy, the header it sets (e.g. X-Real-IP)."""
    header = settings.NEWSROOM_CLIENT_IP_HEADER
    return (request.META.get(header) if header else None) or request.META.get("REMOTE_ADDR", "")


def _entity(slug: str):
    if not slug:
        return None
    return services.followable_entities().filter(slug=slug).first()


@require_http_methods(["GET", "POST"])
def subscribe(request):
    entity = _entity(request.GET.get("entity") or request.POST.get("entity", ""))
    status = 200
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_valid():
            try:
                services.request_subscription(
                    form.cleaned_data["email"],
                    wants_issue=form.cleaned_data["wants_issue"] or entity is None,
                    entities=[entity] if entity else [],
                    client=_client(request),
                )
            except services.RateLimited:
                form.add_error(None, _("请求过于频繁,请一小时后再试。"))
                status = 429
            else:
                return redirect("distribution:subscribe_sent")
        else:
            status = 400
    else:
        # Following is the point of the 关注 button: the whole issue is an extra to tick.
        form = SubscribeForm(
            initial={"entity": entity.slug if entity else "", "wants_issue": entity is None}
        )
    return render(
        request, "distribution/subscribe.html", {"form": form, "entity": entity}, status=status
    )


def subscribe_sent(request):
    return render(request, "distribution/subscribe_sent.html")


def _invalid(request):
    return render(request, "distribution/link_invalid.html", status=400)


def confirm(request, token):
    try:
        subscriber = services.confirm(token)
    except services.InvalidLink:
        return _invalid(request)
    manage_url = reverse("distribution:manage", kwargs={"token": services.manage_token(subscriber)})
    return render(
        request,
        "distribution/confirmed.html",
        {"subscriber": subscriber, "manage_url": manage_url},
    )


@require_http_methods(["GET", "POST"])
def manage(request, token):
    try:
        subscriber = services.subscriber_for_manage_token(token)
    except services.InvalidLink:
        return _invalid(request)
    follows = list(subscriber.follows.select_related("entity").order_by("entity__name"))
    saved = False
    if request.method == "POST":
        form = PreferencesForm(request.POST, follows=follows)
        if form.is_valid():
            services.update_preferences(
                subscriber,
                wants_issue=form.cleaned_data["wants_issue"],
                paused=form.cleaned_data["paused"],
            )
            services.unfollow(subscriber, form.cleaned_data["unfollow"])
            follows = list(subscriber.follows.select_related("entity").order_by("entity__name"))
            saved = True
            form = None
    else:
        form = None
    if form is None:
        form = PreferencesForm(
            follows=follows,
            initial={
                "wants_issue": subscriber.wants_issue,
                "paused": subscriber.status == SubscriberStatus.PAUSED,
            },
        )
    return render(
        request,
        "distribution/manage.html",
        {
            "subscriber": subscriber,
            "form": form,
            "follows": follows,
            "saved": saved,
            "token": token,
            "is_active": subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED),
        },
    )


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL without
# any cookie or CSRF token; the signed token in the URL is the authorisation.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        subscriber = services.subscriber_for_manage_token(token)
    except services.InvalidLink:
        return _invalid(request)
    done = False
    if request.method == "POST":
        services.unsubscribe(subscriber)
        done = True
    return render(
        request,
        "distribution/unsubscribe.html",
        {"subscriber": subscriber, "done": done, "token": token},
    )
