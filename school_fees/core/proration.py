"""Proration of installments for a student who joins (or leaves) during the term.

Methods (the ``proration_method`` select of Fee Structure, exact spelling):

- ``"None"`` (also ``""`` / ``None``): every installment is billed in full.
- ``"Remaining installments"``: installments whose period has ended before the join date are not
  billed; the others are billed in full.
- ``"Days"``: the installment whose period contains the join date is billed for the days left
  (join day included) over the days of the period; earlier ones are not billed, later ones in full.

Leaving: with ``leave_date`` set, installments whose period *starts after* the leave date are not
billed (factor 0) whatever the method. The period in which the student leaves is billed by the
join rules above, **without** proration for the leaving part: a student leaving mid-period pays
that period as if staying (refunds for it are a credit note decision, not a schedule rule).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from school_fees.core.errors import ProrationError
from school_fees.core.money import Number, quantize, to_decimal

NONE = "None"
REMAINING_INSTALLMENTS = "Remaining installments"
DAYS = "Days"
METHODS = (NONE, REMAINING_INSTALLMENTS, DAYS)

ONE = Decimal(1)
FACTOR_ZERO = Decimal(0)
FACTOR_PLACES = Decimal("0.000001")


def normalize_method(method: str | None) -> str:
	"""Return the canonical method name; ``""`` and ``None`` mean ``"None"``.

	Raises:
		ProrationError: the method is not one of :data:`METHODS`.
	"""
	if method is None or method == "":
		return NONE
	if method not in METHODS:
		raise ProrationError(f"Unknown proration method {method!r}; use one of: {', '.join(METHODS)}")
	return method


def _days_factor(start: date, end: date, join_date: date) -> Decimal:
	"""Share of the period ``start..end`` left from ``join_date`` (inclusive), 6 places HALF_UP."""
	if join_date <= start:
		return ONE
	if join_date > end:
		return FACTOR_ZERO
	remaining_days = (end - join_date).days + 1
	period_days = (end - start).days + 1
	return (Decimal(remaining_days) / Decimal(period_days)).quantize(FACTOR_PLACES, rounding=ROUND_HALF_UP)


def proration_factors(
	periods: list[tuple[date, date]],
	join_date: date | None,
	method: str | None,
	*,
	leave_date: date | None = None,
) -> list[Decimal]:
	"""One billing factor between 0 and 1 per installment period.

	- ``"None"`` or no ``join_date``: 1 for every period.
	- ``"Remaining installments"``: 1 if ``join_date <= period end``, else 0.
	- ``"Days"``: 1 if ``join_date <= period start``; 0 if ``join_date > period end``; otherwise
	  ``(period end - join_date + 1 day) / (days in period)`` rounded to 6 places (ROUND_HALF_UP).
	- ``leave_date``: a period starting after ``leave_date`` gets 0, whatever the method; the period
	  in which the student leaves is not reduced for leaving.

	Raises:
		ProrationError: unknown method.
	"""
	method = normalize_method(method)
	factors: list[Decimal] = []
	for start, end in periods:
		if leave_date is not None and start > leave_date:
			factor = FACTOR_ZERO
		elif method == NONE or join_date is None:
			factor = ONE
		elif method == REMAINING_INSTALLMENTS:
			factor = ONE if join_date <= end else FACTOR_ZERO
		else:
			factor = _days_factor(start, end, join_date)
		factors.append(factor)
	return factors


def prorate_amounts(amounts: dict[str, Decimal], factor: Number, precision: int = 2) -> dict[str, Decimal]:
	"""Multiply every fee head amount by ``factor`` and round each (ROUND_HALF_UP).

	Each head is rounded on its own, so the prorated total can differ from the total times the
	factor by at most half a smallest unit per head.
	"""
	factor_dec = to_decimal(factor)
	return {head: quantize(to_decimal(amount) * factor_dec, precision) for head, amount in amounts.items()}
