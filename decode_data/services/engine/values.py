"""Turn database values into JSON-safe ones, so results can cross process boundaries."""

from __future__ import annotations

import math
from decimal import Decimal


def json_value(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 1e15:
            return int(value)  # 12.00 shows as 12, never as 12.0
        return float(value) if abs(value) < 1e15 else str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


def json_row(row) -> list:
    return [json_value(v) for v in row]
