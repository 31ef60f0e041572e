from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core.allocation import (
	Allocation,
	OpenItem,
	allocate,
	allocation_order,
	validate_allocations,
)
from school_fees.core.discounts import DiscountRule, stack_discounts
from school_fees.core.errors import AllocationError
from school_fees.core.money import ZERO, quantize

D = Decimal
PROPS = settings(max_examples=200, deadline=None)


def item(key, outstanding, due, posting=None):
	return OpenItem(key=key, outstanding=D(outstanding), due_date=due, posting_date=posting or due)


class TestSeed003:
	def test_alex_stone(self):
		"""April 600 -10% = 540, paid 324 on Apr 05; May 680 -10% = 612; 520 on May 13 -> 216 + 304, 308 left."""
		sibling = [DiscountRule(name="Sibling", discount_type="Percentage", value=D(10))]
		april_discount, _ = stack_discounts({"Lessons": D(600)}, sibling)
		may_discount, _ = stack_discounts({"Lessons": D(680)}, sibling)
		april_total = D(600) - april_discount["Lessons"]
		may_total = D(680) - may_discount["Lessons"]
		assert (april_total, may_total) == (D("540.00"), D("612.00"))

		april = item("FINV-APR", april_total, date(2026, 4, 30), date(2026, 4, 1))
		first, rest = allocate(D(324), [april])
		assert first == [Allocation("FINV-APR", D("324.00"))]
		assert rest == D("0.00")

		april = item("FINV-APR", april_total - D(324), date(2026, 4, 30), date(2026, 4, 1))
		may = item("FINV-MAY", may_total, date(2026, 5, 31), date(2026, 5, 1))
		allocations, remainder = allocate(D(520), [may, april])
		assert allocations == [Allocation("FINV-APR", D("216.00")), Allocation("FINV-MAY", D("304.00"))]
		assert remainder == D("0.00")
		assert may_total - allocations[1].amount == D("308.00")


class TestAllocate:
	def test_order_due_then_posting_then_key(self):
		items = [
			item("C", 10, date(2026, 5, 1), date(2026, 4, 1)),
			item("B", 10, date(2026, 5, 1), date(2026, 3, 1)),
			item("A", 10, date(2026, 5, 1), date(2026, 4, 1)),
			item("Z", 10, date(2026, 4, 1), date(2026, 4, 1)),
		]
		assert [i.key for i in allocation_order(items)] == ["Z", "B", "A", "C"]

	def test_overpayment_leaves_credit(self):
		allocations, remainder = allocate(
			1000, [item("A", 300, date(2026, 4, 1)), item("B", 200, date(2026, 5, 1))]
		)
		assert allocations == [Allocation("A", D("300.00")), Allocation("B", D("200.00"))]
		assert remainder == D("500.00")

	def test_skips_closed_items(self):
		allocations, remainder = allocate(
			100,
			[
				item("Paid", 0, date(2026, 3, 1)),
				item("Credit", -50, date(2026, 3, 2)),
				item("Open", 80, date(2026, 4, 1)),
			],
		)
		assert allocations == [Allocation("Open", D("80.00"))]
		assert remainder == D("20.00")

	def test_zero_amount(self):
		assert allocate(0, [item("A", 10, date(2026, 4, 1))]) == ([], D("0.00"))

	def test_no_items(self):
		assert allocate("12.345", []) == ([], D("12.35"))

	def test_negative_amount(self):
		with pytest.raises(AllocationError, match="negative"):
			allocate(-1, [item("A", 10, date(2026, 4, 1))])

	def test_duplicate_item(self):
		with pytest.raises(AllocationError, match="FINV-1"):
			allocate(10, [item("FINV-1", 10, date(2026, 4, 1)), item("FINV-1", 5, date(2026, 4, 1))])


class TestValidateAllocations:
	items: ClassVar[list[OpenItem]] = [
		item("FINV-1", 100, date(2026, 4, 1)),
		item("FINV-2", 50, date(2026, 5, 1)),
	]

	def test_valid_edit(self):
		validate_allocations(120, self.items, [Allocation("FINV-2", D(50)), Allocation("FINV-1", D(70))])
		validate_allocations(None, self.items, [Allocation("FINV-1", D(100)), Allocation("FINV-2", D(0))])
		validate_allocations(10, self.items, [])

	@pytest.mark.parametrize(
		("amount", "rows", "message"),
		[
			(500, [Allocation("FINV-1", D("100.01"))], "FINV-1.*exceeds its outstanding"),
			(500, [Allocation("FINV-9", D(1))], "FINV-9 is not an open item"),
			(
				500,
				[Allocation("FINV-2", D(1)), Allocation("FINV-2", D(1))],
				"FINV-2 is allocated more than once",
			),
			(500, [Allocation("FINV-2", D(-1))], "FINV-2 must not be negative"),
			(
				120,
				[Allocation("FINV-1", D(100)), Allocation("FINV-2", D(21))],
				"exceeds the amount available",
			),
		],
	)
	def test_invalid(self, amount, rows, message):
		with pytest.raises(AllocationError, match=message):
			validate_allocations(amount, self.items, rows)


open_items = st.lists(
	st.builds(
		lambda n, outstanding, due, posting: OpenItem(
			key=f"FINV-{n:04d}",
			outstanding=outstanding,
			due_date=date(2026, 4, 1) + timedelta(days=due),
			posting_date=date(2026, 3, 1) + timedelta(days=posting),
		),
		n=st.integers(0, 9999),
		outstanding=st.decimals(min_value=-100, max_value=10**5, places=2),
		due=st.integers(0, 60),
		posting=st.integers(0, 60),
	),
	max_size=10,
	unique_by=lambda i: i.key,
)


class TestAllocationProperties:
	@PROPS
	@given(amount=st.decimals(min_value=0, max_value=2 * 10**5, places=2), items=open_items)
	def test_invariants(self, amount, items):
		allocations, remainder = allocate(amount, items)
		by_key = {i.key: i for i in items}
		assert sum((a.amount for a in allocations), ZERO) + remainder == quantize(amount)
		assert remainder >= 0
		assert len({a.key for a in allocations}) == len(allocations)
		for allocation in allocations:
			assert ZERO < allocation.amount <= by_key[allocation.key].outstanding
		# order respected: an item gets money only if every earlier open item is fully covered
		given_to = {a.key: a.amount for a in allocations}
		ordered = [i for i in allocation_order(items) if i.outstanding > 0]
		for index, current in enumerate(ordered):
			if current.key in given_to:
				for earlier in ordered[:index]:
					assert given_to.get(earlier.key) == earlier.outstanding
		# money is left over only when everything open is covered
		if remainder > 0:
			assert all(given_to.get(i.key) == i.outstanding for i in ordered)
		# the proposal passes the validation of user-edited rows
		validate_allocations(amount, items, allocations)
