"""Where a sign-in may send the browser afterwards: only a path of this site (`?next=`).

Plain Python, so the HTTP sign-in endpoints and the Reflex states apply the same rule.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from decode_data import routes


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= link must not send a learner to another site.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so
    `/\\t/other.host` is `//other.host` to them: such characters are refused outright, then the
    rest must parse as a path with no scheme and no host."""
    if not target or "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return routes.AFTER_SIGN_IN
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return routes.AFTER_SIGN_IN
    return target
