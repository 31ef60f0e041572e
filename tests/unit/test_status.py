from datetime import date
from decimal import Decimal

import pytest

from school_fees.core import status
from school_fees.core.status import (
	ALLOWED_TRANSITIONS,
	CANCELLED,
	DRAFT,
	ISSUED,
	OVERDUE,
	PAID,
	PARTIALLY_PAID,
	STATUSES,
	invoice_status,
	is_allowed_transition,
)

TODAY = date(2026, 6, 15)
FUTURE = date(2026, 6, 30)
PAST = date(2026, 6, 1)


def test_status_names_match_the_doctype_select():
	assert STATUSES == ("Draft", "Issued", "Partially Paid", "Paid", "Overdue", "Cancelled")


@pytest.mark.parametrize(
	("docstatus", "grand_total", "outstanding", "due", "expected"),
	[
		(0, 100, 100, PAST, DRAFT),
		(2, 100, 100, PAST, CANCELLED),
		(2, 100, 0, FUTURE, CANCELLED),
		(1, 100, 100, FUTURE, ISSUED),
		(1, 100, 100, TODAY, ISSUED),  # due today is not yet overdue
		(1, 100, 40, FUTURE, PARTIALLY_PAID),
		(1, 100, 0, FUTURE, PAID),
		(1, 100, 0, PAST, PAID),
		(1, 100, -5, FUTURE, PAID),
		(1, 100, 100, PAST, OVERDUE),
		(1, 100, 40, PAST, OVERDUE),
		(1, 0, 0, PAST, PAID),  # zero-total invoice
		(1, "100.00", 99.99, FUTURE, PARTIALLY_PAID),
		(1, Decimal("100"), Decimal("0.00"), FUTURE, PAID),
	],
)
def test_invoice_status(docstatus, grand_total, outstanding, due, expected):
	assert invoice_status(docstatus, grand_total, outstanding, due, TODAY) == expected


class TestTransitions:
	@pytest.mark.parametrize(
		("from_status", "to_status"),
		[
			(DRAFT, ISSUED),
			(DRAFT, PAID),
			(DRAFT, OVERDUE),
			(ISSUED, PARTIALLY_PAID),
			(ISSUED, PAID),
			(PARTIALLY_PAID, PAID),
			(PARTIALLY_PAID, ISSUED),
			(PAID, PARTIALLY_PAID),
			(PAID, ISSUED),
			(PAID, OVERDUE),
			(ISSUED, OVERDUE),
			(PARTIALLY_PAID, OVERDUE),
			(OVERDUE, ISSUED),
			(OVERDUE, PARTIALLY_PAID),
			(OVERDUE, PAID),
			(ISSUED, CANCELLED),
			(PARTIALLY_PAID, CANCELLED),
			(PAID, CANCELLED),
			(OVERDUE, CANCELLED),
		],
	)
	def test_allowed(self, from_status, to_status):
		assert is_allowed_transition(from_status, to_status)

	@pytest.mark.parametrize(
		("from_status", "to_status"),
		[
			(DRAFT, CANCELLED),
			(DRAFT, PARTIALLY_PAID),
			(CANCELLED, DRAFT),
			(CANCELLED, ISSUED),
			(CANCELLED, PAID),
			(ISSUED, DRAFT),
			(PAID, DRAFT),
			(ISSUED, "Unpaid"),
			("Submitted", ISSUED),
		],
	)
	def test_refused(self, from_status, to_status):
		assert not is_allowed_transition(from_status, to_status)

	def test_same_status_is_not_a_change(self):
		assert all(is_allowed_transition(s, s) for s in STATUSES)

	def test_every_submitted_status_can_be_cancelled(self):
		for s in status.SUBMITTED_STATUSES:
			assert CANCELLED in ALLOWED_TRANSITIONS[s]
		assert ALLOWED_TRANSITIONS[CANCELLED] == frozenset()

	def test_derived_changes_are_allowed_transitions(self):
		"""Every status change invoice_status can produce between two reachable states is allowed."""
		states = [
			(docstatus, total, outstanding, due)
			for docstatus in (0, 1, 2)
			for total in (0, 100)
			for outstanding in (0, 40, 100)
			for due in (PAST, FUTURE)
			if outstanding <= total
		]
		checked = 0
		for before in states:
			for after in states:
				if before[1] != after[1] or before[3] != after[3]:
					continue  # total and due date of an invoice never change once generated
				if after[0] < before[0] or (before[0] == 0 and after[0] == 2):
					continue  # docstatus only moves 0 -> 1 -> 2 (a draft is deleted, not cancelled)
				if before[0] == 0 and after[0] == 1 and after[2] != after[1]:
					continue  # an invoice is submitted with everything outstanding
				old = invoice_status(before[0], before[1], before[2], before[3], TODAY)
				new = invoice_status(after[0], after[1], after[2], after[3], TODAY)
				assert is_allowed_transition(old, new), (before, after, old, new)
				checked += 1
		assert checked > 20
