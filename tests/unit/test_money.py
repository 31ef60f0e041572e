from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core import money
from school_fees.core.money import ZERO, quantize, split_by_weights, to_decimal

D = Decimal
PROPS = settings(max_examples=200, deadline=None)


class TestToDecimal:
	def test_none_and_empty_are_zero(self):
		assert to_decimal(None) == ZERO
		assert to_decimal("") == ZERO
		assert to_decimal("   ") == ZERO

	def test_float_goes_through_str(self):
		assert to_decimal(0.1) == D("0.1")
		assert to_decimal(1.15) == D("1.15")
		assert to_decimal(0.1) + to_decimal(0.2) == D("0.3")

	def test_int_str_decimal(self):
		assert to_decimal(7) == D(7)
		assert to_decimal(" 12.50 ") == D("12.50")
		value = D("3.333")
		assert to_decimal(value) is value

	@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", float("nan"), float("inf"), [1]])
	def test_rejects_non_numbers(self, bad):
		with pytest.raises(ValueError):
			to_decimal(bad)


class TestQuantize:
	@pytest.mark.parametrize(
		("value", "precision", "expected"),
		[
			("2.675", 2, "2.68"),
			("2.665", 2, "2.67"),
			(2.675, 2, "2.68"),  # float 2.675 is 2.67499999..., str() keeps the written value
			("-2.675", 2, "-2.68"),
			("0.5", 0, "1"),
			("1.2345", 3, "1.235"),
			(None, 2, "0.00"),
			(10, 2, "10.00"),
		],
	)
	def test_round_half_up(self, value, precision, expected):
		result = quantize(value, precision)
		assert result == D(expected)
		assert str(result) == expected

	@pytest.mark.parametrize("value", ["-0.001", -0.0, "-0"])
	def test_no_negative_zero(self, value):
		assert str(quantize(value)) == "0.00"

	def test_doctest_examples(self):
		import doctest

		failures, _ = doctest.testmod(money)
		assert failures == 0

	def test_negative_precision_rejected(self):
		with pytest.raises(ValueError):
			quantize(1, -1)


class TestSplitByWeights:
	def test_quarters(self):
		assert split_by_weights(10000, [25, 25, 25, 25]) == [D("2500.00")] * 4

	def test_thirds_give_the_extra_cent_to_the_first(self):
		assert split_by_weights(100, [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]

	def test_two_cents_over_three(self):
		assert split_by_weights("0.02", [1, 1, 1]) == [D("0.01"), D("0.01"), D("0.00")]

	def test_largest_remainder_wins_over_index(self):
		# exact shares 0.333.., 0.666.. of 1 cent: the second part has the larger remainder
		assert split_by_weights("0.01", [1, 2]) == [D("0.00"), D("0.01")]

	def test_zero_weight_gets_zero(self):
		assert split_by_weights(100, [0, 1, 0, 2]) == [D("0.00"), D("33.33"), D("0.00"), D("66.67")]

	def test_total_is_quantized_first(self):
		assert split_by_weights("10.005", [1, 1]) == [D("5.01"), D("5.00")]

	def test_precision_zero(self):
		assert split_by_weights(10, [1, 1, 1], precision=0) == [D(4), D(3), D(3)]

	def test_negative_total_is_symmetric(self):
		assert split_by_weights(-100, [1, 1, 1]) == [D("-33.34"), D("-33.33"), D("-33.33")]

	def test_zero_total(self):
		assert split_by_weights(0, [1, 2]) == [D("0.00"), D("0.00")]

	@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
	def test_invalid_weights(self, weights):
		with pytest.raises(ValueError):
			split_by_weights(100, weights)

	def test_decimal_and_float_weights(self):
		assert split_by_weights(100, [D("33.34"), 33.33, "33.33"]) == [D("33.34"), D("33.33"), D("33.33")]

	@PROPS
	@given(
		total=st.decimals(
			min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
		),
		weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(any),
		precision=st.integers(min_value=0, max_value=4),
	)
	def test_parts_sum_to_whole_and_stay_within_one_unit(self, total, weights, precision):
		parts = split_by_weights(total, weights, precision)
		whole = quantize(total, precision)
		unit = money.smallest_unit(precision)
		assert len(parts) == len(weights)
		assert sum(parts, ZERO) == whole
		weight_sum = sum(weights)
		for part, weight in zip(parts, weights, strict=True):
			assert part == quantize(part, precision)
			exact = Fraction(whole) * weight / weight_sum
			assert abs(Fraction(part) - exact) < Fraction(unit)
			if weight == 0:
				assert part == 0

	@PROPS
	@given(
		total=st.decimals(min_value=0, max_value=10**7, places=2),
		weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(any),
	)
	def test_negative_is_mirror_image(self, total, weights):
		assert split_by_weights(-total, weights) == [-p for p in split_by_weights(total, weights)]
