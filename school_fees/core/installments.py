"""Installment schedules: percentages, per-installment amounts per fee head, billing periods.

A fee structure lists its components (fee head -> amount for the term) and its installments
(label, issue date, due date, percentage of every component). A component may override the
schedule with its own percentage list (e.g. an annual fee billed 100% in the first installment).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from school_fees.core.errors import ScheduleError
from school_fees.core.money import ZERO, Number, split_by_weights, to_decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class InstallmentSpec:
	"""One installment of a fee structure; ``percentage`` is of every component (0-100)."""

	label: str
	issue_date: date
	due_date: date
	percentage: Decimal


def validate_percentages(percentages: list, what: str = "Installment percentages") -> None:
	"""Check that ``percentages`` are all zero or positive and add up to exactly 100.

	The comparison is exact (``Decimal``): 33.33 + 33.33 + 33.33 is rejected, use 33.34 for one.

	Raises:
		ScheduleError: the list is empty, a percentage is negative, or the sum is not 100.
	"""
	values = [to_decimal(p) for p in percentages]
	if not values:
		raise ScheduleError(f"{what}: at least one installment is required")
	for index, value in enumerate(values, start=1):
		if value < 0:
			raise ScheduleError(f"{what}: installment {index} has a negative percentage ({value})")
	total = sum(values, ZERO)
	if total != HUNDRED:
		raise ScheduleError(f"{what} must add up to 100, not {total.normalize():f}")


def split_component(amount: Number, percentages: list, precision: int = 2) -> list[Decimal]:
	"""Split one component amount over the installments by percentage.

	Uses :func:`~school_fees.core.money.split_by_weights` (largest-remainder rule), so the parts
	add up exactly to ``quantize(amount)``: 100 over 33.34/33.33/33.33 gives 33.34, 33.33, 33.33.

	Raises:
		ScheduleError: the percentages are invalid (see :func:`validate_percentages`).
	"""
	validate_percentages(percentages)
	return split_by_weights(amount, percentages, precision)


def installment_amounts(
	components: dict[str, Decimal],
	percentages: list,
	overrides: dict[str, list] | None = None,
	precision: int = 2,
) -> list[dict[str, Decimal]]:
	"""Amount of every fee head in every installment.

	Returns one dict per installment (same order as ``percentages``) mapping every fee head of
	``components`` (same order, zero amounts included) to its amount in that installment.
	``overrides[fee_head]`` replaces the schedule's percentages for that head; it must have one
	entry per installment and add up to 100. For every head the installment amounts add up exactly
	to ``quantize(component amount)``.

	Raises:
		ScheduleError: invalid percentages, an override of the wrong length, or an override for a
			fee head that is not a component.
	"""
	validate_percentages(percentages)
	overrides = overrides or {}
	unknown = [head for head in overrides if head not in components]
	if unknown:
		raise ScheduleError(
			f"Percentage overrides for fee heads that are not components: {', '.join(unknown)}"
		)

	result: list[dict[str, Decimal]] = [{} for _ in percentages]
	for head, amount in components.items():
		head_percentages = overrides.get(head)
		if head_percentages is None:
			head_percentages = percentages
		else:
			if len(head_percentages) != len(percentages):
				raise ScheduleError(
					f"Fee head {head}: {len(head_percentages)} override percentages given for "
					f"{len(percentages)} installments"
				)
			validate_percentages(head_percentages, what=f"Percentages of fee head {head}")
		for row, part in zip(result, split_by_weights(amount, head_percentages, precision), strict=True):
			row[head] = part
	return result


def installment_periods(installments: list[InstallmentSpec], term_end: date) -> list[tuple[date, date]]:
	"""Service period (first day, last day) covered by each installment, both days inclusive.

	Period *i* runs from installment *i*'s issue date to the day before installment *i+1*'s issue
	date; the last one ends on ``term_end``. Installments are taken in the given order (the caller
	sorts them by issue date).

	Raises:
		ScheduleError: issue dates are not strictly increasing, or ``term_end`` is before the last
			issue date.
	"""
	periods: list[tuple[date, date]] = []
	for index, spec in enumerate(installments):
		if index + 1 < len(installments):
			next_issue = installments[index + 1].issue_date
			if next_issue <= spec.issue_date:
				raise ScheduleError(
					f"Installment {installments[index + 1].label} must be issued after installment "
					f"{spec.label} ({next_issue} is not after {spec.issue_date})"
				)
			end = next_issue - timedelta(days=1)
		else:
			if term_end < spec.issue_date:
				raise ScheduleError(
					f"The term ends on {term_end}, before installment {spec.label} is issued "
					f"({spec.issue_date})"
				)
			end = term_end
		periods.append((spec.issue_date, end))
	return periods
