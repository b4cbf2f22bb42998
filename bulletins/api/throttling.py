"""API throttles keyed on the real client address and counted in the cache every worker shares.

DRF's own throttles take ``X-Forwarded-For`` as given (rotating it defeats them) and count in
the default cache, which without Redis is per-process local memory; these use
``newsroom.clientip.client_ip`` and the ``shared`` cache (Redis, or files under ``VAR_DIR``).
"""

from django.core.cache import caches
from rest_framework import throttling

from newsroom.clientip import client_ip


class _SharedClientMixin:
    @property
    def cache(self):
        return caches["shared"]

    def get_ident(self, request):
        return client_ip(request)


class AnonRateThrottle(_SharedClientMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_SharedClientMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_SharedClientMixin, throttling.ScopedRateThrottle):
    pass
