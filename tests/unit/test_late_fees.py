from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core.errors import LateFeeError
from school_fees.core.late_fees import LateFeeRule, chargeable_periods, late_fee_due, late_fee_increment
from school_fees.core.money import ZERO

D = Decimal
PROPS = settings(max_examples=200, deadline=None)


def rule(charge_type="Flat", value="50", frequency="Once", grace=0, cap="0"):
	return LateFeeRule(
		grace_days=grace, charge_type=charge_type, value=D(value), frequency=frequency, cap=D(cap)
	)


class TestChargeablePeriods:
	@pytest.mark.parametrize(("days", "expected"), [(-3, 0), (0, 0), (7, 0), (8, 1), (100, 1)])
	def test_once_with_grace(self, days, expected):
		assert chargeable_periods(rule(grace=7), days) == expected

	@pytest.mark.parametrize(("days", "expected"), [(5, 0), (6, 1), (10, 5), (35, 30)])
	def test_per_day(self, days, expected):
		assert chargeable_periods(rule(frequency="Per Day", grace=5), days) == expected

	@pytest.mark.parametrize(("late", "expected"), [(0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3)])
	def test_per_month_counts_started_30_day_blocks(self, late, expected):
		assert chargeable_periods(rule(frequency="Per Month", grace=10), late + 10) == expected

	@pytest.mark.parametrize(
		"bad",
		[
			rule(charge_type="Percentage"),
			rule(frequency="Weekly"),
			rule(value="-1"),
			rule(cap="-1"),
			rule(grace=-1),
		],
	)
	def test_invalid_rules(self, bad):
		with pytest.raises(LateFeeError):
			chargeable_periods(bad, 10)


class TestLateFeeDue:
	def test_flat_once_after_grace(self):
		r = rule(value="100", grace=7)
		assert late_fee_due(r, D("5000"), 7) == D("0.00")
		assert late_fee_due(r, D("5000"), 8) == D("100.00")
		assert late_fee_due(r, D("5000"), 90) == D("100.00")

	def test_flat_per_day_with_cap(self):
		r = rule(value="10", frequency="Per Day", grace=3, cap="250")
		assert late_fee_due(r, 0, 13) == D("100.00")
		assert late_fee_due(r, 0, 28) == D("250.00")
		assert late_fee_due(r, 0, 29) == D("250.00")
		assert late_fee_due(r, 0, 400) == D("250.00")

	def test_percent_per_month(self):
		r = rule(charge_type="Percent", value="2", frequency="Per Month")
		assert late_fee_due(r, D("7500"), 1) == D("150.00")
		assert late_fee_due(r, D("7500"), 31) == D("300.00")

	def test_percent_unit_is_rounded_before_multiplying(self):
		r = rule(charge_type="Percent", value="2.5", frequency="Per Day")
		# unit = 2.5% of 100.03 = 2.50075 -> 2.50; 10 days -> 25.00 (unrounded would give 25.01)
		assert late_fee_due(r, D("100.03"), 10) == D("25.00")

	def test_percent_on_nothing(self):
		r = rule(charge_type="Percent", value="5")
		assert late_fee_due(r, 0, 10) == D("0.00")
		assert late_fee_due(r, -100, 10) == D("0.00")


class TestIncrement:
	def test_idempotent_same_day(self):
		r = rule(value="10", frequency="Per Day", cap="100")
		first = late_fee_increment(r, 0, 4, already_charged=0)
		assert first == D("40.00")
		assert late_fee_increment(r, 0, 4, already_charged=first) == D("0.00")

	def test_catches_up_missed_days_and_stops_at_cap(self):
		r = rule(value="10", frequency="Per Day", cap="100")
		assert late_fee_increment(r, 0, 7, already_charged=40) == D("30.00")
		assert late_fee_increment(r, 0, 30, already_charged=70) == D("30.00")
		assert late_fee_increment(r, 0, 31, already_charged=100) == D("0.00")

	def test_never_negative(self):
		assert late_fee_increment(rule(value="10"), 0, 5, already_charged=50) == D("0.00")

	@PROPS
	@given(
		charge_type=st.sampled_from(["Flat", "Percent"]),
		value=st.decimals(min_value=0, max_value=100, places=2),
		frequency=st.sampled_from(["Once", "Per Day", "Per Month"]),
		grace=st.integers(0, 15),
		cap=st.decimals(min_value=0, max_value=2000, places=2),
		base=st.decimals(min_value=0, max_value=10**5, places=2),
		days=st.integers(0, 120),
		skip=st.sets(st.integers(0, 120)),
	)
	def test_daily_increments_sum_to_due_and_respect_cap(
		self, charge_type, value, frequency, grace, cap, base, days, skip
	):
		r = LateFeeRule(grace_days=grace, charge_type=charge_type, value=value, frequency=frequency, cap=cap)
		charged = ZERO
		for day in range(days + 1):
			if day in skip and day != days:
				continue  # the job did not run that day
			increment = late_fee_increment(r, base, day, charged)
			assert increment >= 0
			charged += increment
			assert late_fee_increment(r, base, day, charged) == 0  # second run the same day
			if cap > 0:
				assert charged <= cap
		assert charged == late_fee_due(r, base, days)
