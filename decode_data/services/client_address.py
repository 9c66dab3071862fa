"""The one place a client's network address is decided (sign-in lock, sign-up limit).

`X-Forwarded-For` is written by whoever sent the request, so it is believed only as far as the
operator says reverse proxies stand in front of the app (DECODE_DATA_TRUSTED_PROXIES, default 0).
Each proxy appends the address it received the request from, so with N trusted proxies the
client is the N-th entry from the right; anything further left was sent by the client and may be
forged. With 0 proxies, or a header shorter than the chain (the request did not come through
it), the address is the TCP peer's.
"""

from __future__ import annotations

MAX_CHARS = 64


def client_address(peer: str | None, forwarded_for: str | list[str] | None, trusted_proxies: int) -> str | None:
    """The client's address: `peer` (the connection's), or X-Forwarded-For `trusted_proxies` hops from the right."""
    address = peer
    if trusted_proxies > 0 and forwarded_for:
        joined = ",".join(forwarded_for) if isinstance(forwarded_for, list) else forwarded_for
        hops = [hop.strip() for hop in joined.split(",") if hop.strip()]
        if len(hops) >= trusted_proxies:
            address = hops[-trusted_proxies]
    address = (address or "").strip()[:MAX_CHARS]
    return address or None
