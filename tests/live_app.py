"""The real app for browser tests: one production `reflex run` serves the whole test session
(tests/conftest.py `live_app`); tests isolate themselves by registering their own learners.

The launcher lives in decode_data/harness/app_process.py, shared with the browser bench.
"""

from decode_data.harness.app_process import (  # noqa: F401 - re-exported for the tests
    BUN_BIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    INHERITED,
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    OIDC_NAME,
    REPO_ROOT,
    STARTUP_TIMEOUT_S,
    LiveApp,
    free_port,
    http_get,
    npm_registry,
    stop_group,
)
