"""App database tables. Importing this package registers every table on SQLModel.metadata."""

from decode_data.models.auth import ApiToken, LoginAttempt, OAuthAccount, OAuthState, UserSession  # noqa: F401
from decode_data.models.base import UTCDateTime, utcnow
from decode_data.models.model_edit import ModelEdit
from decode_data.models.progress import LearnerProgress
from decode_data.models.rate_limit import RateCounter
from decode_data.models.run_history import RUN_KINDS, RunRecord
from decode_data.models.user import WAREHOUSE_KEY_RE, User, new_warehouse_key

__all__ = [
    "LearnerProgress",
    "ModelEdit",
    "RateCounter",
    "RUN_KINDS",
    "RunRecord",
    "User",
    "UTCDateTime",
    "WAREHOUSE_KEY_RE",
    "new_warehouse_key",
    "utcnow",
]
