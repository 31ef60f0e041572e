from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from school_fees.core.errors import ScheduleError
from school_fees.core.installments import (
	InstallmentSpec,
	installment_amounts,
	installment_periods,
	split_component,
	validate_percentages,
)
from school_fees.core.money import ZERO, quantize

D = Decimal
PROPS = settings(max_examples=200, deadline=None)


class TestValidatePercentages:
	def test_valid(self):
		validate_percentages([25, 25, 25, 25])
		validate_percentages([D("33.34"), D("33.33"), D("33.33")])
		validate_percentages(["100"])
		validate_percentages([100, 0])

	def test_not_hundred(self):
		with pytest.raises(ScheduleError, match=r"add up to 100, not 99\.99"):
			validate_percentages([D("33.33")] * 3)

	def test_float_thirds_rejected_exactly(self):
		with pytest.raises(ScheduleError):
			validate_percentages([33.33, 33.33, 33.33])

	def test_negative(self):
		with pytest.raises(ScheduleError, match="negative"):
			validate_percentages([110, -10])

	def test_empty(self):
		with pytest.raises(ScheduleError):
			validate_percentages([])

	def test_is_a_value_error(self):
		assert issubclass(ScheduleError, ValueError)


class TestSplitComponent:
	def test_quarters(self):
		assert split_component(10000, [25, 25, 25, 25]) == [D("2500.00")] * 4

	def test_thirds(self):
		assert split_component(100, [D("33.34"), D("33.33"), D("33.33")]) == [
			D("33.34"),
			D("33.33"),
			D("33.33"),
		]

	def test_odd_amount(self):
		parts = split_component("1000.01", [40, 30, 30])
		assert parts == [D("400.01"), D("300.00"), D("300.00")]
		assert sum(parts) == D("1000.01")

	def test_bad_percentages(self):
		with pytest.raises(ScheduleError):
			split_component(100, [50, 40])


class TestInstallmentAmounts:
	def test_with_override(self):
		components = {"Tuition": D("18000"), "Annual Charges": D("3000"), "Library": D("1000")}
		result = installment_amounts(
			components, [25, 25, 25, 25], overrides={"Annual Charges": [100, 0, 0, 0]}
		)
		assert result == [
			{"Tuition": D("4500.00"), "Annual Charges": D("3000.00"), "Library": D("250.00")},
			{"Tuition": D("4500.00"), "Annual Charges": D("0.00"), "Library": D("250.00")},
			{"Tuition": D("4500.00"), "Annual Charges": D("0.00"), "Library": D("250.00")},
			{"Tuition": D("4500.00"), "Annual Charges": D("0.00"), "Library": D("250.00")},
		]

	def test_head_order_kept(self):
		result = installment_amounts({"B": 1, "A": 2}, [100])
		assert list(result[0]) == ["B", "A"]

	def test_override_must_sum_to_100(self):
		with pytest.raises(ScheduleError, match="Transport"):
			installment_amounts({"Transport": 100}, [50, 50], overrides={"Transport": [60, 50]})

	def test_override_length(self):
		with pytest.raises(ScheduleError, match="2 override percentages given for 3"):
			installment_amounts({"Transport": 100}, [50, 25, 25], overrides={"Transport": [50, 50]})

	def test_override_unknown_head(self):
		with pytest.raises(ScheduleError, match="Bus"):
			installment_amounts({"Transport": 100}, [100], overrides={"Bus": [100]})

	def test_invalid_default(self):
		with pytest.raises(ScheduleError):
			installment_amounts({"Tuition": 100}, [50, 49])

	@PROPS
	@given(
		data=st.data(),
		amounts=st.dictionaries(
			st.sampled_from(["Tuition", "Lab", "Library", "Transport", "Sports"]),
			st.decimals(min_value=0, max_value=10**7, places=2),
			min_size=1,
		),
		count=st.integers(min_value=1, max_value=6),
	)
	def test_every_head_sums_to_its_component(self, data, amounts, count):
		def percentages_strategy():
			# `count` integer cut points in 0..10000 basis points -> percentages with 2 decimals summing to 100
			return st.lists(st.integers(0, 10000), min_size=count - 1, max_size=count - 1).map(
				lambda cuts: [
					D(b - a) / 100 for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), 10000], strict=True)
				]
			)

		percentages = data.draw(percentages_strategy())
		heads = list(amounts)
		overridden = data.draw(st.lists(st.sampled_from(heads), unique=True))
		overrides = {head: data.draw(percentages_strategy()) for head in overridden}
		result = installment_amounts(amounts, percentages, overrides)
		assert len(result) == count
		for head, amount in amounts.items():
			assert sum((row[head] for row in result), ZERO) == quantize(amount)
			assert all(row[head] >= 0 for row in result)


class TestInstallmentPeriods:
	def spec(self, label, issue):
		return InstallmentSpec(label=label, issue_date=issue, due_date=issue, percentage=D(25))

	def test_quarters(self):
		specs = [
			self.spec("Q1", date(2026, 4, 1)),
			self.spec("Q2", date(2026, 7, 1)),
			self.spec("Q3", date(2026, 10, 1)),
			self.spec("Q4", date(2027, 1, 1)),
		]
		assert installment_periods(specs, date(2027, 3, 31)) == [
			(date(2026, 4, 1), date(2026, 6, 30)),
			(date(2026, 7, 1), date(2026, 9, 30)),
			(date(2026, 10, 1), date(2026, 12, 31)),
			(date(2027, 1, 1), date(2027, 3, 31)),
		]

	def test_single_installment(self):
		assert installment_periods([self.spec("Term", date(2026, 4, 1))], date(2026, 9, 30)) == [
			(date(2026, 4, 1), date(2026, 9, 30))
		]

	def test_empty(self):
		assert installment_periods([], date(2026, 9, 30)) == []

	def test_same_issue_date_rejected(self):
		specs = [self.spec("A", date(2026, 4, 1)), self.spec("B", date(2026, 4, 1))]
		with pytest.raises(ScheduleError, match="B must be issued after installment A"):
			installment_periods(specs, date(2026, 9, 30))

	def test_term_end_before_last_issue(self):
		with pytest.raises(ScheduleError, match="term ends"):
			installment_periods([self.spec("A", date(2026, 4, 1))], date(2026, 3, 31))

	def test_frozen(self):
		spec = self.spec("A", date(2026, 4, 1))
		with pytest.raises(AttributeError):
			spec.label = "B"
