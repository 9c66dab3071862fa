"""A message the server hands to a page through a redirect URL, signed so nobody else can.

The OAuth callback ends on the server and sends the browser back to /signin when it fails; the
reason travels in the query string. The page shows it only if the signature (an HMAC with
SECRET_KEY) matches, so a crafted link cannot make the sign-in page display someone's text.
"""

from __future__ import annotations

import hashlib
import hmac

from decode_data.settings import get_settings

MAX_CHARS = 300


def _mac(message: str) -> str:
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, b"signed-note:" + message.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(message: str) -> tuple[str, str]:
    """(message, signature), the message cut to MAX_CHARS."""
    message = message[:MAX_CHARS]
    return message, _mac(message)


def verified(message: str | None, signature: str | None) -> str:
    """`message` when `signature` is the server's for it, else ""."""
    if not message or not signature or len(message) > MAX_CHARS:
        return ""
    return message if hmac.compare_digest(_mac(message), signature) else ""
