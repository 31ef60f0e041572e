"""Money primitives: conversion to :class:`~decimal.Decimal`, rounding, and splitting.

Every amount in ``school_fees`` is a ``Decimal``. Floats coming from Frappe (``Float`` and
``Currency`` fields) are converted through ``str()`` so ``0.1`` becomes ``Decimal("0.1")`` and not
``Decimal(0.1000000000000000055511151231257827...)``.

The remainder rule of the product
---------------------------------
Whenever one amount is divided into parts (installments, a fixed discount spread over fee heads,
...) :func:`split_by_weights` is used, and it always applies the **largest-remainder method**:

1. each part's exact share ``total * weight / sum(weights)`` is computed exactly (as a fraction);
2. each part gets its share rounded *towards zero* to the smallest currency unit
   (``10 ** -precision``, e.g. 0.01);
3. the smallest units still missing (always fewer than the number of parts) are handed out one
   each to the parts with the largest discarded fractional remainders; ties go to the
   **earlier index**.

So 100.00 in thirds is ``[33.34, 33.33, 33.33]`` and 10,000 in 25/25/25/25 is four times 2,500.
Parts always add up exactly to ``quantize(total)``, each is within one smallest unit of its exact
share, and a zero weight always yields a zero part. Negative totals are split symmetrically:
``split_by_weights(-t, w) == [-p for p in split_by_weights(t, w)]``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

ZERO = Decimal("0")

Number = Decimal | int | float | str | None


def to_decimal(value: Number) -> Decimal:
	"""Convert ``value`` to ``Decimal`` without float artefacts.

	``None`` and ``""`` are 0; floats go through ``str()`` first; strings are stripped. NaN and
	infinities are rejected because they are never a valid amount.

	Raises:
		ValueError: the value is not a finite number.
	"""
	if value is None:
		return ZERO
	if isinstance(value, Decimal):
		result = value
	elif isinstance(value, bool | int):
		result = Decimal(int(value))
	elif isinstance(value, float):
		result = Decimal(str(value))
	elif isinstance(value, str):
		text = value.strip()
		if not text:
			return ZERO
		try:
			result = Decimal(text)
		except InvalidOperation:
			raise ValueError(f"Not a number: {value!r}") from None
	else:
		raise ValueError(f"Cannot convert {type(value).__name__} to an amount: {value!r}")
	if not result.is_finite():
		raise ValueError(f"Not a finite number: {value!r}")
	return result


def smallest_unit(precision: int = 2) -> Decimal:
	"""The smallest currency unit at ``precision`` decimals (``0.01`` for 2, ``1`` for 0)."""
	if precision < 0:
		raise ValueError(f"Precision must be zero or positive, not {precision}")
	return Decimal(1).scaleb(-precision)


def quantize(value: Number, precision: int = 2) -> Decimal:
	"""Round ``value`` to ``precision`` decimal places, half away from zero (ROUND_HALF_UP).

	>>> quantize("2.675")
	Decimal('2.68')
	>>> quantize(-2.675)
	Decimal('-2.68')
	>>> quantize("-0.001")
	Decimal('0.00')
	"""
	result = to_decimal(value).quantize(smallest_unit(precision), rounding=ROUND_HALF_UP)
	return result.copy_abs() if result.is_zero() else result  # never "-0.00"


def split_by_weights(total: Number, weights: list, precision: int = 2) -> list[Decimal]:
	"""Split ``total`` into ``len(weights)`` parts proportional to ``weights``.

	This is THE remainder rule of the product (largest-remainder method):

	- the exact share of part *i* is ``quantize(total) * w_i / sum(w)``;
	- every part first gets its exact share truncated towards zero to the smallest unit
	  (``10 ** -precision``);
	- the leftover smallest units (fewer than the number of parts) go one each to the parts with the
	  largest truncated fractional remainders; on equal remainders the earlier index wins.

	Guarantees: ``sum(parts) == quantize(total, precision)``; every part differs from its exact
	share by less than one smallest unit; a zero weight gives a zero part; a negative total is split
	symmetrically (the result is the negation of splitting the absolute value).

	>>> split_by_weights(100, [1, 1, 1])
	[Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]

	Raises:
		ValueError: ``weights`` is empty, contains a negative weight, or all weights are zero.
	"""
	unit = smallest_unit(precision)
	weights_dec = [to_decimal(w) for w in weights]
	if not weights_dec:
		raise ValueError("Cannot split an amount over an empty list of weights")
	if any(w < 0 for w in weights_dec):
		raise ValueError(f"Weights must not be negative: {[str(w) for w in weights_dec]}")
	weight_sum = sum(weights_dec, ZERO)
	if weight_sum == 0:
		raise ValueError("Cannot split an amount when all weights are zero")

	total_q = quantize(total, precision)
	sign = -1 if total_q < 0 else 1
	total_units = int(abs(total_q) / unit)  # exact: total_q is a multiple of unit

	fraction_sum = Fraction(weight_sum)
	exact = [Fraction(total_units) * Fraction(w) / fraction_sum for w in weights_dec]
	floors = [int(share) for share in exact]  # shares are >= 0, int() truncates = floor
	leftover = total_units - sum(floors)
	ranked = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
	for i in ranked[:leftover]:
		floors[i] += 1

	return [(sign * units * unit).quantize(unit) for units in floors]
