from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core.errors import ProrationError
from school_fees.core.proration import normalize_method, prorate_amounts, proration_factors

D = Decimal
PROPS = settings(max_examples=200, deadline=None)

QUARTERS = [
	(date(2026, 4, 1), date(2026, 6, 30)),  # 91 days
	(date(2026, 7, 1), date(2026, 9, 30)),  # 92 days
	(date(2026, 10, 1), date(2026, 12, 31)),
	(date(2027, 1, 1), date(2027, 3, 31)),
]


class TestMethods:
	@pytest.mark.parametrize("method", [None, "", "None"])
	def test_none_aliases(self, method):
		assert normalize_method(method) == "None"
		assert proration_factors(QUARTERS, date(2026, 8, 15), method) == [D(1)] * 4

	def test_unknown(self):
		with pytest.raises(ProrationError, match="days"):
			proration_factors(QUARTERS, date(2026, 8, 15), "days")

	@pytest.mark.parametrize("method", ["Remaining installments", "Days"])
	def test_no_join_date(self, method):
		assert proration_factors(QUARTERS, None, method) == [D(1)] * 4


class TestRemainingInstallments:
	def test_mid_quarter_join_pays_current_quarter_in_full(self):
		assert proration_factors(QUARTERS, date(2026, 8, 15), "Remaining installments") == [0, 1, 1, 1]

	def test_join_on_last_day_of_period(self):
		assert proration_factors(QUARTERS, date(2026, 6, 30), "Remaining installments") == [1, 1, 1, 1]

	def test_join_after_term(self):
		assert proration_factors(QUARTERS, date(2027, 4, 1), "Remaining installments") == [0, 0, 0, 0]


class TestDays:
	def test_worked_example(self):
		# Joins 15 Aug: Jul-Sep has 92 days, 47 left (15 Aug..30 Sep) -> 47/92 = 0.510869565.. -> 0.510870
		factors = proration_factors(QUARTERS, date(2026, 8, 15), "Days")
		assert factors == [D(0), D("0.510870"), D(1), D(1)]
		amounts = prorate_amounts({"Tuition": D("4500"), "Lab": D("300")}, factors[1])
		assert amounts == {"Tuition": D("2298.92"), "Lab": D("153.26")}

	def test_join_on_period_start_is_full(self):
		assert proration_factors(QUARTERS, date(2026, 7, 1), "Days") == [0, 1, 1, 1]

	def test_join_on_period_end_is_one_day(self):
		factors = proration_factors(QUARTERS, date(2026, 6, 30), "Days")
		assert factors[0] == (D(1) / D(91)).quantize(D("0.000001"))
		assert factors[1:] == [1, 1, 1]

	def test_before_term(self):
		assert proration_factors(QUARTERS, date(2026, 1, 1), "Days") == [1, 1, 1, 1]

	@PROPS
	@given(offset=st.integers(min_value=-30, max_value=400))
	def test_factors_between_zero_and_one_and_non_decreasing(self, offset):
		join = date(2026, 4, 1) + timedelta(days=offset)
		for method in ("Days", "Remaining installments"):
			factors = proration_factors(QUARTERS, join, method)
			assert all(D(0) <= f <= D(1) for f in factors)
			assert factors == sorted(factors)
			assert all(f == f.quantize(D("0.000001")) for f in factors)
		days = proration_factors(QUARTERS, join, "Days")
		remaining = proration_factors(QUARTERS, join, "Remaining installments")
		assert all(d <= r for d, r in zip(days, remaining, strict=True))


class TestLeaving:
	def test_periods_after_leaving_are_not_billed(self):
		factors = proration_factors(QUARTERS, None, "None", leave_date=date(2026, 8, 15))
		assert factors == [1, 1, 0, 0]

	def test_leaving_period_not_prorated(self):
		factors = proration_factors(QUARTERS, date(2026, 5, 1), "Days", leave_date=date(2026, 10, 1))
		assert factors[0] == D("0.670330")  # 61 of 91 days
		assert factors[1:] == [1, 1, 0]

	def test_leave_on_period_start_bills_that_period(self):
		assert proration_factors(QUARTERS, None, "Days", leave_date=date(2026, 7, 1)) == [1, 1, 0, 0]


class TestProrateAmounts:
	def test_factor_one_and_zero(self):
		amounts = {"Tuition": D("4500"), "Lab": D("300.5")}
		assert prorate_amounts(amounts, D(1)) == {"Tuition": D("4500.00"), "Lab": D("300.50")}
		assert prorate_amounts(amounts, 0) == {"Tuition": D("0.00"), "Lab": D("0.00")}

	def test_half_up(self):
		assert prorate_amounts({"A": D("0.05")}, D("0.5")) == {"A": D("0.03")}
