"""The client's address, as a proxy we trust reports it — never as the client claims it.

``X-Forwarded-For`` is a header anyone can send. It is read only when the request comes from
an address in ``NEWSROOM_TRUSTED_PROXIES`` (``TRUSTED_PROXIES``, e.g. ``127.0.0.1,10.0.0.0/8``
for an nginx on the same host or network); then the right-most hop that is not itself a
trusted proxy is the client. Without a configured proxy, ``REMOTE_ADDR`` is the client.
Login lockout (django-axes) and API throttling key on this address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """The address login lockout and throttles count against (``request`` may be DRF's)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "NEWSROOM_TRUSTED_PROXIES", ())))
    if not networks or not _is_trusted(remote, networks):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                # A malformed hop behind our own proxy: count the proxy's peer, not garbage.
                return remote
    return remote
