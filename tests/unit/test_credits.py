from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core.allocation import Allocation
from school_fees.core.credits import CreditSource, check_source_use, credit_order, plan_credit_application
from school_fees.core.errors import AllocationError
from school_fees.core.money import ZERO, quantize

D = Decimal
PROPS = settings(max_examples=200, deadline=None)


def source(key, available, day):
	return CreditSource(key=key, available=D(available), posting_date=date(2027, 1, 1) + timedelta(days=day))


class TestSeed002:
	def test_rest_of_a_250_credit_pays_the_next_invoice(self):
		"""250 credit, 100 assigned by hand: the remaining 150 goes to the next invoice (400)."""
		assert plan_credit_application(D(400), [source("Credit Note::FCN-1", "150", 0)]) == [
			Allocation("Credit Note::FCN-1", D("150.00"))
		]

	def test_credit_larger_than_the_invoice_keeps_the_rest(self):
		assert plan_credit_application(D(100), [source("FCN-1", "250", 0)]) == [
			Allocation("FCN-1", D("100.00"))
		]


class TestPlan:
	def test_oldest_source_first_then_key(self):
		sources = [source("b", 50, 1), source("c", 50, 0), source("a", 50, 1)]
		assert [s.key for s in credit_order(sources)] == ["c", "a", "b"]
		assert plan_credit_application(D(120), sources) == [
			Allocation("c", D("50.00")),
			Allocation("a", D("50.00")),
			Allocation("b", D("20.00")),
		]

	def test_nothing_to_pay_or_nothing_available(self):
		assert plan_credit_application(D(0), [source("a", 10, 0)]) == []
		assert plan_credit_application(D(-5), [source("a", 10, 0)]) == []
		assert plan_credit_application(D(10), [source("a", 0, 0), source("b", -3, 0)]) == []

	def test_repeated_source_is_an_error(self):
		with pytest.raises(AllocationError, match="more than once"):
			plan_credit_application(D(10), [source("a", 5, 0), source("a", 5, 1)])


class TestCheckSourceUse:
	def test_within_available(self):
		assert check_source_use("Credit Note FCN-1", D("250"), D("100.004")) == D("100.00")
		assert check_source_use("Credit Note FCN-1", D("250"), D("250")) == D("250.00")

	def test_above_available_names_the_source_and_amounts(self):
		with pytest.raises(AllocationError, match=r"Credit Note FCN-1 has only 50.00 available; 100.00"):
			check_source_use("Credit Note FCN-1", D("50"), D("100"))

	def test_zero_or_negative_request(self):
		with pytest.raises(AllocationError, match="above zero"):
			check_source_use("x", D("50"), D("0"))
		with pytest.raises(AllocationError, match="above zero"):
			check_source_use("x", D("50"), D("-1"))

	def test_negative_available_counts_as_nothing(self):
		with pytest.raises(AllocationError, match=r"only 0\.00 available"):
			check_source_use("x", D("-5"), D("1"))


money = st.decimals(
	min_value=D("-100"), max_value=D("10000"), places=2, allow_nan=False, allow_infinity=False
)
sources_strategy = st.lists(st.tuples(money, st.integers(min_value=0, max_value=30)), max_size=8).map(
	lambda rows: [source(f"S{i:02d}", amount, day) for i, (amount, day) in enumerate(rows)]
)


@PROPS
@given(outstanding=money, sources=sources_strategy)
def test_plan_properties(outstanding, sources):
	plan = plan_credit_application(outstanding, sources)
	by_key = {s.key: s for s in sources}
	total_available = sum((max(quantize(s.available), ZERO) for s in sources), ZERO)

	# pays exactly what it can, never more than owed or available
	assert sum((p.amount for p in plan), ZERO) == min(max(quantize(outstanding), ZERO), total_available)
	for part in plan:
		assert ZERO < part.amount <= quantize(by_key[part.key].available)
	# a source gives only when every older source with credit is used up
	ordered = [s for s in credit_order(sources) if quantize(s.available) > 0]
	given_by = {p.key: p.amount for p in plan}
	assert [p.key for p in plan] == [s.key for s in ordered[: len(plan)]]
	for earlier in ordered[: max(len(plan) - 1, 0)]:
		assert given_by[earlier.key] == quantize(earlier.available)


@PROPS
@given(available=money, requested=money)
def test_check_source_use_accepts_exactly_the_valid_requests(available, requested):
	valid = ZERO < quantize(requested) <= max(quantize(available), ZERO)
	if valid:
		assert check_source_use("S", available, requested) == quantize(requested)
	else:
		with pytest.raises(AllocationError):
			check_source_use("S", available, requested)
