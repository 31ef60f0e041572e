"""Stacked fee discounts (sibling, staff, scholarship, ...) applied to an invoice's fee heads.

Rules apply one after the other in priority order (lower number first, then name). Each rule acts
on what earlier rules **left** of its fee heads (stacking, not adding): 10% then 10% on 1,000 is
100 + 90 = 190, not 200. The result is kept as a snapshot (:class:`DiscountLine`) on the invoice.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from school_fees.core.errors import DiscountError
from school_fees.core.money import ZERO, quantize, split_by_weights, to_decimal

PERCENTAGE = "Percentage"
AMOUNT = "Amount"
DISCOUNT_TYPES = (PERCENTAGE, AMOUNT)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DiscountRule:
	"""A discount as configured (Fee Discount), with the fee heads it covers (empty = all)."""

	name: str
	discount_type: str  # "Percentage" | "Amount"
	value: Decimal
	priority: int = 10
	fee_heads: tuple[str, ...] = ()  # empty = all heads


@dataclass(frozen=True)
class DiscountLine:
	"""The part of one discount given on one fee head (the invoice's discount snapshot row)."""

	discount: str
	fee_head: str
	discount_type: str
	value: Decimal
	priority: int
	amount: Decimal


def validate_rule(rule: DiscountRule) -> Decimal:
	"""Check a rule's type and value and return the value as ``Decimal``.

	Raises:
		DiscountError: unknown type, a percentage outside 0-100, or a negative amount.
	"""
	if rule.discount_type not in DISCOUNT_TYPES:
		raise DiscountError(
			f"Discount {rule.name}: type must be Percentage or Amount, not {rule.discount_type!r}"
		)
	value = to_decimal(rule.value)
	if rule.discount_type == PERCENTAGE and not ZERO <= value <= HUNDRED:
		raise DiscountError(f"Discount {rule.name}: percentage must be between 0 and 100, not {value}")
	if rule.discount_type == AMOUNT and value < 0:
		raise DiscountError(f"Discount {rule.name}: amount must not be negative ({value})")
	return value


def discount_order(rules: Iterable[DiscountRule]) -> list[DiscountRule]:
	"""Rules in the order they apply: priority ascending, then name."""
	return sorted(rules, key=lambda rule: (int(rule.priority or 0), rule.name))


def stack_discounts(
	amounts: dict[str, Decimal], rules: list[DiscountRule], precision: int = 2
) -> tuple[dict[str, Decimal], list[DiscountLine]]:
	"""Apply ``rules`` in priority order to ``amounts`` (fee head -> gross amount).

	Returns ``(discount per fee head, snapshot lines)``. The dict has every head of ``amounts``
	(0 when undiscounted), in the same order. Each rule sees what is left of its heads after the
	rules before it:

	- Percentage: per head, ``quantize(remaining * value / 100)``.
	- Amount: ``min(value, remaining total of its heads)``, spread over those heads in proportion
	  to what is left of each, with the product's remainder rule
	  (:func:`~school_fees.core.money.split_by_weights`).

	A discount never takes a head below zero (heads with nothing left, or a negative amount, get
	nothing). Heads a rule names but ``amounts`` lacks are ignored; only lines with a non-zero
	amount are returned, in application order.

	Raises:
		DiscountError: an invalid rule (see :func:`validate_rule`); all rules are checked first.
	"""
	values = {id(rule): validate_rule(rule) for rule in rules}
	remaining = {head: quantize(amount, precision) for head, amount in amounts.items()}
	discount = {head: quantize(0, precision) for head in amounts}
	lines: list[DiscountLine] = []

	for rule in discount_order(rules):
		value = values[id(rule)]
		heads = [h for h in (rule.fee_heads or tuple(amounts)) if h in remaining and remaining[h] > 0]
		heads = list(dict.fromkeys(heads))  # a head named twice counts once
		if not heads:
			continue
		if rule.discount_type == PERCENTAGE:
			parts = [min(quantize(remaining[h] * value / HUNDRED, precision), remaining[h]) for h in heads]
		else:
			available = sum((remaining[h] for h in heads), ZERO)
			to_give = min(quantize(value, precision), available)
			parts = split_by_weights(to_give, [remaining[h] for h in heads], precision)
		for head, part in zip(heads, parts, strict=True):
			if part == 0:
				continue
			remaining[head] -= part
			discount[head] += part
			lines.append(
				DiscountLine(
					discount=rule.name,
					fee_head=head,
					discount_type=rule.discount_type,
					value=value,
					priority=rule.priority,
					amount=part,
				)
			)
	return discount, lines
