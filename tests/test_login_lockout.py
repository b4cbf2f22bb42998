"""Logins resist guessing: lockout by username and by client, a cool-off, no trust in XFF."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"


def admin_login(client, username, password, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def token_login(client, username, password, **extra):
    return client.post(
        TOKEN,
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def chief_with_password(chief):
    chief.set_password("right-password-1")
    chief.save()
    return chief


@pytest.mark.django_db
def test_fifty_wrong_admin_passwords_lock_the_account_even_for_the_right_one(
    client, chief_with_password, settings
):
    statuses = [admin_login(client, "chief1", f"wrong-{n}").status_code for n in range(50)]
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[settings.AXES_FAILURE_LIMIT :]) == {429}
    response = admin_login(client, "chief1", "right-password-1")
    assert response.status_code == 429
    assert "已被暂时锁定" in response.content.decode()
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_cool_off_ends_the_lockout(client, chief_with_password, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, "chief1", f"wrong-{n}")
    assert admin_login(client, "chief1", "right-password-1").status_code == 429
    past = settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    response = admin_login(client, "chief1", "right-password-1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(chief_with_password.pk)


@pytest.mark.django_db
def test_a_client_is_locked_whatever_username_it_tries(client, chief_with_password, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, f"guess{n}", "x")
    # A username this client never tried: the address itself is locked.
    assert admin_login(client, "chief1", "right-password-1").status_code == 429


@pytest.mark.django_db
def test_a_rotated_x_forwarded_for_is_ignored_without_a_trusted_proxy(
    client, chief_with_password, settings
):
    for n in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, f"guess{n}", "x", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = admin_login(
        client, "chief1", "right-password-1", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(
    client, chief_with_password, settings
):
    settings.NEWSROOM_TRUSTED_PROXIES = ["127.0.0.1/32"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        admin_login(client, f"guess{n}", "x", HTTP_X_FORWARDED_FOR="203.0.113.9")
    # The attacker's address is locked; another reader behind the same proxy is not.
    assert admin_login(client, "nobody", "x", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    response = admin_login(
        client, "chief1", "right-password-1", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 302
    # A forged hop in front of the real client does not move the count: right-most wins.
    assert (
        admin_login(
            client, "guess0", "x", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9"
        ).status_code
        == 429
    )


@pytest.mark.django_db
def test_token_endpoint_locks_out_with_the_api_error_shape(client, chief_with_password, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        assert token_login(client, "chief1", f"wrong-{n}").status_code == 400
    response = token_login(client, "chief1", "right-password-1")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert "已被暂时锁定" in body["message"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_token_throttle_ignores_a_rotated_x_forwarded_for(
    client, settings, monkeypatch, chief_with_password
):
    from bulletins.api.throttling import ScopedRateThrottle

    settings.AXES_ENABLED = False  # count the throttle alone
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "5/minute"})
    statuses = [
        token_login(client, "chief1", "x", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(12)
    ]
    assert statuses.count(429) == 7, statuses


@pytest.mark.django_db
def test_login_page_is_reachable(client):
    assert client.get(reverse("admin:login")).status_code == 200
