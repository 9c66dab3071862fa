"""Rate-limit counters: how often one key (an action plus who does it) acted in the current window."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from decode_data.models.base import UTCDateTime, utcnow


class RateCounter(SQLModel, table=True):
    """Hits of one key (e.g. "signup|203.0.113.7", "job|user:42") since `window_start`."""

    __tablename__ = "rate_counters"

    key: str = Field(primary_key=True, max_length=200)
    hits: int = 0
    window_start: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
