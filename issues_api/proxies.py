"""The client's address behind ISSUES_API_NUM_PROXIES proxies (read as DRF's NUM_PROXIES
reads it), for the per-address rate limit and django-axes (AXES_CLIENT_IP_CALLABLE) alike."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """REMOTE_ADDR, or with N proxies in front, the N-th entry from the right of
    X-Forwarded-For: the address the outermost proxy saw. Entries further left are whatever
    the client sent, and are never read."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.ISSUES_API_NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded.strip():
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    try:
        # Axes stores it in an address column: garbage falls back to the connection's address.
        return str(ipaddress.ip_address(entries[-min(proxies, len(entries))]))
    except ValueError:
        return remote
