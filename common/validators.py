"""Bounds on values that every write path shares: the model fields use these validators, so the API
(ModelSerializer copies a field's validators), the admin (ModelForm) and the import (``full_clean``
in the services, and the cell readers in transfers/datasets.py) refuse the same values with the
same message. Years are bounded by the models' check constraints (``common.models.year_range_q``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MIN_DATE, MAX_DATE = datetime.date(1949, 1, 1), datetime.date(2100, 12, 31)
#: Amounts in 亿元: larger ones were almost surely entered in 万元.
MAX_INVESTMENT = Decimal("10000")
MAX_CAPACITY = Decimal("1e12")
#: Indicator values (targets and observations) of any unit.
MAX_INDICATOR_VALUE = Decimal("1e15")
#: Invisible characters that reorder how text is displayed (“Trojan Source”): a name holding one
#: can look like another record's name.
BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_plausible_date(value: datetime.date) -> None:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(
            "日期 %(date)s 超出范围（1949-01-01 至 2100-12-31）。",
            code="date_range",
            params={"date": value.isoformat()},
        )


def validate_no_bidi_controls(value: str) -> None:
    found = sorted({f"U+{ord(char):04X}" for char in value if char in BIDI_CONTROLS})
    if found:
        raise ValidationError(
            "不能包含不可见的文字方向控制字符（%(found)s），请删除后重新输入。",
            code="bidi_control",
            params={"found": "、".join(found)},
        )


def _plain_number(value) -> str:
    """A number as a clerk writes it: no exponent, no trailing decimal zeros."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@deconstructible
class MagnitudeValidator:
    """A number whose absolute value is at most ``maximum`` (the sign is the model's constraints' business)."""

    def __init__(self, maximum: Decimal):
        self.maximum = maximum

    def __call__(self, value) -> None:
        if value is not None and abs(value) > self.maximum:
            raise ValidationError(
                "数值过大（%(value)s），不能超过 %(maximum)s，请确认单位。",
                code="magnitude",
                params={"value": _plain_number(value)[:20], "maximum": _plain_number(self.maximum)},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, MagnitudeValidator) and self.maximum == other.maximum
