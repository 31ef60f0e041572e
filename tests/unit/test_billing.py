"""core.billing: billable structures, date order, billing keys, skip reasons, a run's final status."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from school_fees.core import billing
from school_fees.core.billing import (
	ALREADY_INVOICED,
	CANCELLED,
	COMPLETED,
	EXCLUDED,
	FAILED,
	INACTIVE,
	LEFT,
	NOT_SUBMITTED,
	PARTIALLY_COMPLETED,
	billing_key,
	due_before,
	final_status,
	late_fee_billing_key,
	skip_reason,
	structure_refusal,
)


def test_only_a_submitted_structure_bills():
	assert structure_refusal(1) is None and billing.is_billable(1)
	assert structure_refusal(0) == NOT_SUBMITTED and not billing.is_billable(0)
	assert structure_refusal(None) == NOT_SUBMITTED
	assert structure_refusal(2) == CANCELLED and not billing.is_billable(2)


def test_due_before():
	assert due_before(date(2026, 4, 30), date(2026, 5, 1))
	assert not due_before(date(2026, 5, 1), date(2026, 5, 1))
	assert not due_before(None, date(2026, 5, 1))
	assert not due_before(date(2026, 5, 1), None)


def test_billing_key_is_readable_and_fits_the_column():
	assert billing_key("STU-1", "FS-1", "Q1") == "STU-1:FS-1:Q1"
	long_key = billing_key("S" * 100, "F" * 50, "Q1")
	assert long_key.startswith("sha1:") and len(long_key) <= billing.BILLING_KEY_MAX_LENGTH
	assert long_key == billing_key("S" * 100, "F" * 50, "Q1")
	assert long_key != billing_key("S" * 100, "F" * 50, "Q2")
	assert late_fee_billing_key("FINV-1", 3) == "late:FINV-1:3"


@given(st.text(min_size=1, max_size=120), st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=30))
def test_billing_keys_always_fit(student, structure, installment):
	assert len(billing_key(student, structure, installment)) <= billing.BILLING_KEY_MAX_LENGTH


def reason(**overrides):
	values = dict(
		excluded=False, status="Active", key_taken=False, leaving_date=None, issue_date=date(2026, 4, 1)
	)
	values.update(overrides)
	return skip_reason(**values)


def test_skip_reasons_in_order():
	assert reason() is None
	assert reason(excluded=True, status="Inactive", key_taken=True) == EXCLUDED
	assert reason(status="Inactive", key_taken=True) == INACTIVE
	assert reason(status="Withdrawn") == INACTIVE
	assert reason(key_taken=True, leaving_date=date(2026, 1, 1)) == ALREADY_INVOICED
	assert reason(leaving_date=date(2026, 3, 31)) == LEFT
	assert reason(leaving_date=date(2026, 4, 1)) is None


def test_final_status():
	assert final_status(0, 0) == COMPLETED  # everybody skipped is still a completed run
	assert final_status(10, 0) == COMPLETED
	assert final_status(10, 2) == PARTIALLY_COMPLETED
	assert final_status(0, 2) == FAILED
	assert final_status(5, 0, stopped=True) == PARTIALLY_COMPLETED
	assert final_status(0, 0, stopped=True) == FAILED
