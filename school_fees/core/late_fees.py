"""Late fees on overdue invoices.

The daily job does not remember what it did: it computes the total late fee owed *so far*
(:func:`late_fee_due`) and charges only the difference with what was already charged
(:func:`late_fee_increment`). Running it twice on a day charges nothing the second time, missing a
day is caught up the next, and the total never exceeds the cap.
"""

from dataclasses import dataclass
from decimal import Decimal

from school_fees.core.errors import LateFeeError
from school_fees.core.money import ZERO, Number, quantize, to_decimal

FLAT = "Flat"
PERCENT = "Percent"
CHARGE_TYPES = (FLAT, PERCENT)
ONCE = "Once"
PER_DAY = "Per Day"
PER_MONTH = "Per Month"
FREQUENCIES = (ONCE, PER_DAY, PER_MONTH)
DAYS_PER_MONTH = 30


@dataclass(frozen=True)
class LateFeeRule:
	"""A fee structure's late-fee rule; ``cap`` 0 means no cap."""

	grace_days: int
	charge_type: str  # "Flat" | "Percent"
	value: Decimal
	frequency: str  # "Once" | "Per Day" | "Per Month"
	cap: Decimal = ZERO  # 0 = no cap


def validate_rule(rule: LateFeeRule) -> None:
	"""Raise :class:`LateFeeError` for an unknown type or frequency, or a negative value or cap."""
	if rule.charge_type not in CHARGE_TYPES:
		raise LateFeeError(f"Late fee type must be Flat or Percent, not {rule.charge_type!r}")
	if rule.frequency not in FREQUENCIES:
		raise LateFeeError(f"Late fee frequency must be Once, Per Day or Per Month, not {rule.frequency!r}")
	if to_decimal(rule.value) < 0:
		raise LateFeeError(f"Late fee value must not be negative ({rule.value})")
	if to_decimal(rule.cap) < 0:
		raise LateFeeError(f"Late fee cap must not be negative ({rule.cap})")
	if int(rule.grace_days or 0) < 0:
		raise LateFeeError(f"Late fee grace days must not be negative ({rule.grace_days})")


def chargeable_periods(rule: LateFeeRule, days_overdue: int) -> int:
	"""Number of times the late fee has been earned after ``days_overdue`` days past the due date.

	``late = days_overdue - grace_days``; nothing while ``late <= 0``. Then:
	Once -> 1; Per Day -> ``late``; Per Month -> one per started 30-day block,
	``1 + (late - 1) // 30`` (days 1-30 late: 1, days 31-60: 2, ...).
	"""
	validate_rule(rule)
	late = int(days_overdue) - int(rule.grace_days or 0)
	if late <= 0:
		return 0
	if rule.frequency == ONCE:
		return 1
	if rule.frequency == PER_DAY:
		return late
	return 1 + (late - 1) // DAYS_PER_MONTH


def late_fee_unit(rule: LateFeeRule, base_amount: Number, precision: int = 2) -> Decimal:
	"""Late fee for one period: ``value`` (Flat) or ``quantize(base * value / 100)`` (Percent).

	A zero or negative base gives no percent fee.
	"""
	validate_rule(rule)
	value = to_decimal(rule.value)
	if rule.charge_type == FLAT:
		return quantize(value, precision)
	base = max(to_decimal(base_amount), ZERO)
	return quantize(base * value / Decimal(100), precision)


def late_fee_due(rule: LateFeeRule, base_amount: Number, days_overdue: int, precision: int = 2) -> Decimal:
	"""Total late fee owed so far: ``periods * unit``, limited to ``cap`` when ``cap > 0``."""
	total = chargeable_periods(rule, days_overdue) * late_fee_unit(rule, base_amount, precision)
	cap = quantize(rule.cap, precision)
	if cap > 0:
		total = min(total, cap)
	return quantize(total, precision)


def late_fee_increment(
	rule: LateFeeRule, base_amount: Number, days_overdue: int, already_charged: Number, precision: int = 2
) -> Decimal:
	"""What to charge now: ``max(0, late_fee_due - already_charged)``.

	Idempotent by construction: after charging the increment, the same call returns 0. With a
	fixed base the sum of increments charged day by day equals :func:`late_fee_due` of the last day
	and never exceeds the cap.
	"""
	due = late_fee_due(rule, base_amount, days_overdue, precision)
	return max(due - quantize(already_charged, precision), quantize(0, precision))
