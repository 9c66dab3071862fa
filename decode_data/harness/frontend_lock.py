"""Keep the tracked reflex.lock/package.json exactly as committed when the app is built.

Reflex copies .web/package.json back over reflex.lock/package.json on every build. Once bun has
rewritten .web's copy in its own layout (indented, on an earlier dependency change), the two
differ in bytes only, and every start left the checkout dirty. Run before Reflex: a .web copy with
the same content as the tracked file gets the tracked bytes, so the copy back changes nothing.
A real change of dependencies is left alone and still shows in `git status`.

    python -m decode_data.harness.frontend_lock    # what scripts/start runs; prints nothing
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TRACKED = Path("reflex.lock") / "package.json"
BUILT = Path(".web") / "package.json"


def _content(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def align_built_package_json(root: Path = REPO_ROOT) -> bool:
    """Give .web/package.json the tracked bytes when only its layout differs; True if it did."""
    tracked, built = root / TRACKED, root / BUILT
    if not (tracked.is_file() and built.is_file()) or built.read_bytes() == tracked.read_bytes():
        return False
    content = _content(tracked)
    if content is None or content != _content(built):
        return False
    built.write_bytes(tracked.read_bytes())
    return True


if __name__ == "__main__":
    align_built_package_json(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT)
