from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core.discounts import DiscountLine, DiscountRule, discount_order, stack_discounts
from school_fees.core.errors import DiscountError
from school_fees.core.money import ZERO, quantize

D = Decimal
PROPS = settings(max_examples=200, deadline=None)
HEADS = ["Tuition", "Lab", "Library", "Transport"]


def pct(name, value, priority=10, heads=()):
	return DiscountRule(
		name=name, discount_type="Percentage", value=D(value), priority=priority, fee_heads=heads
	)


def amt(name, value, priority=10, heads=()):
	return DiscountRule(name=name, discount_type="Amount", value=D(value), priority=priority, fee_heads=heads)


class TestStackDiscounts:
	def test_seed_003_ten_percent(self):
		per_head, lines = stack_discounts({"Lessons": D("600")}, [pct("Sibling", 10)])
		assert per_head == {"Lessons": D("60.00")}
		assert D("600") - per_head["Lessons"] == D("540.00")
		assert lines == [
			DiscountLine(
				discount="Sibling",
				fee_head="Lessons",
				discount_type="Percentage",
				value=D(10),
				priority=10,
				amount=D("60.00"),
			)
		]
		per_head, _ = stack_discounts({"Lessons": D("680")}, [pct("Sibling", 10)])
		assert per_head["Lessons"] == D("68.00")

	def test_stacking_not_additive(self):
		per_head, lines = stack_discounts({"Tuition": D("1000")}, [pct("B", 10, 2), pct("A", 10, 1)])
		assert per_head == {"Tuition": D("190.00")}
		assert [(line.discount, line.amount) for line in lines] == [("A", D("100.00")), ("B", D("90.00"))]

	def test_priority_then_name(self):
		rules = [pct("Zeta", 5, 1), pct("Alpha", 5, 1), pct("First", 5, 0)]
		assert [rule.name for rule in discount_order(rules)] == ["First", "Alpha", "Zeta"]

	def test_amount_spread_by_remaining(self):
		per_head, lines = stack_discounts(
			{"Tuition": D("4500"), "Lab": D("300"), "Library": D("200")}, [amt("Staff", 1000)]
		)
		assert per_head == {"Tuition": D("900.00"), "Lab": D("60.00"), "Library": D("40.00")}
		assert sum(line.amount for line in lines) == D("1000.00")

	def test_amount_uses_remainder_rule(self):
		per_head, _ = stack_discounts({"A": 100, "B": 100, "C": 100}, [amt("Fixed", 100)])
		assert per_head == {"A": D("33.34"), "B": D("33.33"), "C": D("33.33")}

	def test_amount_capped_at_remaining(self):
		per_head, lines = stack_discounts(
			{"Tuition": D("500"), "Lab": D("100")}, [pct("Half", 50, 1, ("Tuition",)), amt("Big", 5000, 2)]
		)
		assert per_head == {"Tuition": D("500.00"), "Lab": D("100.00")}
		assert [(line.discount, line.fee_head, line.amount) for line in lines] == [
			("Half", "Tuition", D("250.00")),
			("Big", "Tuition", D("250.00")),
			("Big", "Lab", D("100.00")),
		]

	def test_rule_limited_to_its_heads(self):
		per_head, lines = stack_discounts(
			{"Tuition": D("4500"), "Transport": D("1200")}, [pct("Bus", 25, heads=("Transport", "Hostel"))]
		)
		assert per_head == {"Tuition": D("0.00"), "Transport": D("300.00")}
		assert [line.fee_head for line in lines] == ["Transport"]

	def test_rule_touching_nothing_has_no_line(self):
		per_head, lines = stack_discounts({"Tuition": D("100")}, [pct("Hostel", 10, heads=("Hostel",))])
		assert per_head == {"Tuition": D("0.00")}
		assert lines == []

	def test_zero_lines_dropped(self):
		_, lines = stack_discounts({"Tuition": D("0.04"), "Lab": D("100")}, [pct("Ten", 10)])
		assert [line.fee_head for line in lines] == ["Lab"]

	def test_percentage_rounding_half_up(self):
		per_head, _ = stack_discounts({"Tuition": D("0.05")}, [pct("Half", 50)])
		assert per_head == {"Tuition": D("0.03")}

	def test_hundred_percent_then_amount(self):
		per_head, lines = stack_discounts({"Tuition": D("100")}, [pct("Full", 100, 1), amt("More", 10, 2)])
		assert per_head == {"Tuition": D("100.00")}
		assert len(lines) == 1

	def test_float_and_str_values(self):
		rule = DiscountRule(name="F", discount_type="Percentage", value=12.5)
		per_head, lines = stack_discounts({"Tuition": 1000.0}, [rule])
		assert per_head == {"Tuition": D("125.00")}
		assert lines[0].value == D("12.5")

	@pytest.mark.parametrize(
		"rule",
		[pct("Over", 101), pct("Under", -1), amt("Negative", -5), DiscountRule("Bad", "Percent", D(5))],
	)
	def test_invalid_rules(self, rule):
		with pytest.raises(DiscountError, match=rule.name):
			stack_discounts({"Tuition": D("100")}, [rule])


rule_strategy = st.one_of(
	st.builds(
		pct,
		name=st.text(alphabet="ABCDEFG", min_size=1, max_size=3),
		value=st.decimals(min_value=0, max_value=100, places=2),
		priority=st.integers(0, 5),
		heads=st.lists(st.sampled_from([*HEADS, "Hostel"]), max_size=3).map(tuple),
	),
	st.builds(
		amt,
		name=st.text(alphabet="ABCDEFG", min_size=1, max_size=3),
		value=st.decimals(min_value=0, max_value=10**5, places=2),
		priority=st.integers(0, 5),
		heads=st.lists(st.sampled_from([*HEADS, "Hostel"]), max_size=3).map(tuple),
	),
)
amounts_strategy = st.dictionaries(
	st.sampled_from(HEADS), st.decimals(min_value=0, max_value=10**5, places=2), min_size=1
)


class TestDiscountProperties:
	@PROPS
	@given(amounts=amounts_strategy, rules=st.lists(rule_strategy, max_size=6))
	def test_never_exceeds_heads(self, amounts, rules):
		per_head, lines = stack_discounts(amounts, rules)
		assert set(per_head) == set(amounts)
		for head, amount in amounts.items():
			assert ZERO <= per_head[head] <= quantize(amount)
			assert per_head[head] == sum((line.amount for line in lines if line.fee_head == head), ZERO)
		assert all(line.amount > 0 for line in lines)
		assert all(line.fee_head in amounts for line in lines)

	@PROPS
	@given(amounts=amounts_strategy, rules=st.lists(rule_strategy, max_size=6))
	def test_monotone_in_priority_order(self, amounts, rules):
		"""Adding the next rule in priority order only appends lines: earlier results never change."""
		ordered = discount_order(rules)
		previous_lines: list[DiscountLine] = []
		previous_total = ZERO
		for k in range(len(ordered) + 1):
			per_head, lines = stack_discounts(amounts, ordered[:k])
			assert lines[: len(previous_lines)] == previous_lines
			total = sum(per_head.values(), ZERO)
			assert total >= previous_total
			previous_lines, previous_total = lines, total
		priorities = [(line.priority, line.discount) for line in previous_lines]
		assert priorities == sorted(priorities)

	@PROPS
	@given(
		amount=st.decimals(min_value=0, max_value=10**6, places=2),
		values=st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=4),
	)
	def test_percentages_apply_to_remaining(self, amount, values):
		rules = [pct(f"R{i}", v, priority=i) for i, v in enumerate(values)]
		_, lines = stack_discounts({"Tuition": amount}, rules)
		remaining = quantize(amount)
		by_rule = {line.discount: line.amount for line in lines}
		for i, value in enumerate(values):
			expected = quantize(remaining * value / 100)
			assert by_rule.get(f"R{i}", ZERO) == expected
			remaining -= expected
