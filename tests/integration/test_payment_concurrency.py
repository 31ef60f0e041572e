"""Payments racing each other, each in its own database connection (thread).

Two receipts racing for one invoice: the first submits and keeps its transaction open (holding the
invoice lock); the second submits a draft saved earlier, so its validation still sees the invoice
unpaid in its snapshot and only the locked re-check can stop it.

Bulk work and the naming series: a document made in bulk is committed on its own
(payments.bulk), so another user numbering a document of the same series is not held up by the
whole action; and an invoice paid from open credit takes the Apply Credit series before it locks its
ledger rows (payments.credit.lock_credit_series).

The data is committed (another connection must see it), unique to the test, and deleted afterwards.
"""

import threading
import time

import pytest
from connections import Connection, hold_series, running, wait_until_running
from factories import (
	make_credit_note,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
)
from payment_helpers import D, invoice_state, remaining, set_auto_apply_credit

import frappe

from school_fees.core.payment_types import APPLY_CREDIT
from school_fees.ledger.balances import receivable_balances
from school_fees.payments.allocation import OverAllocationError
from school_fees.payments.bulk import submit_per_student
from school_fees.school_fees.doctype.payment_allocation.payment_allocation import NAMING_SERIES_BY_TYPE
from school_fees.settings import setting_enabled


@pytest.fixture
def committed(company):
	"""Collects committed documents and deletes them (and their ledger rows) after the test."""
	made: list[tuple[str, str]] = []
	yield made
	frappe.db.rollback()
	names = [name for _doctype, name in made]
	of_customers = {"customer": ("in", customers(made))}
	credit_notes = frappe.get_all("Credit Note", filters=of_customers, pluck="name")
	vouchers = names + credit_notes + frappe.get_all("Payment Allocation", filters=of_customers, pluck="name")
	for table in ("GL Entry", "Payment Ledger Entry"):
		frappe.db.delete(table, {"voucher_no": ("in", vouchers)})
	frappe.db.delete("Fee Audit Log", {"reference_name": ("in", vouchers)})
	frappe.db.delete("Payment Allocation Item", {"parent": ("in", vouchers)})
	frappe.db.delete("Payment Allocation", {"name": ("in", vouchers)})
	frappe.db.delete("Credit Note", {"name": ("in", credit_notes or ["-"])})
	frappe.db.delete("Fee Invoice Item", {"parent": ("in", names)})
	for doctype, name in reversed(made):
		frappe.db.delete(doctype, {"name": name})
	frappe.db.commit()


def customers(made):
	return [name for doctype, name in made if doctype == "Customer"] or ["-"]


def setup_invoice(company, committed, amount=300):
	student = make_student(company)
	head = make_fee_head(company=company)
	inv = make_fee_invoice(
		company, student.name, items=[(head.name, amount)], posting_date="2027-04-01", submit=True
	)
	committed.extend(
		[
			("Fee Head", head.name),
			("Customer", student.customer),
			("Student", student.name),
			("Fee Invoice", inv.name),
		]
	)
	frappe.db.commit()
	return student, inv


def race(first_work, second_work):
	"""Run `first_work` and keep its transaction open while `second_work` runs; then commit both."""
	release = threading.Event()
	first = Connection(first_work, release)
	first.start()
	assert first.ready.wait(timeout=60)
	assert first.error is None, first.error
	second = Connection(second_work)
	second.start()
	time.sleep(1.5)  # the second is now waiting for the invoice lock
	release.set()
	first.join(timeout=60)
	second.join(timeout=60)
	return first, second


def receipt_draft(company, student, invoice, amount):
	draft = make_payment_allocation(
		company, student.customer, paid_amount=amount, allocations=[(invoice.name, amount)], submit=False
	)
	frappe.db.commit()
	return draft.name


def submit_draft(name):
	def work():
		doc = frappe.get_doc("Payment Allocation", name)
		doc.submit()
		return doc.name

	return work


def test_two_receipts_for_the_full_outstanding_only_one_succeeds(company, committed):
	student, inv = setup_invoice(company, committed)
	first_draft = receipt_draft(company, student, inv, 300)
	second_draft = receipt_draft(company, student, inv, 300)

	first, second = race(submit_draft(first_draft), submit_draft(second_draft))

	assert first.error is None and first.result == first_draft
	assert isinstance(second.error, OverAllocationError), second.error
	assert inv.name in str(second.error) and "(0.00)" in str(second.error)
	frappe.db.rollback()  # a fresh snapshot for the reads below
	assert invoice_state(inv.name) == (D(0), D(300), "Paid")
	assert frappe.db.get_value("Payment Allocation", second_draft, "docstatus") == 0


def test_two_partial_receipts_that_fit_both_succeed_and_outstanding_is_right(company, committed):
	"""The second receipt's write-back of the invoice must see the first one's committed payment
	(a locking read), or the invoice would show 200 outstanding instead of 50."""
	student, inv = setup_invoice(company, committed)
	first_draft = receipt_draft(company, student, inv, 100)
	second_draft = receipt_draft(company, student, inv, 150)

	first, second = race(submit_draft(first_draft), submit_draft(second_draft))

	assert first.error is None and second.error is None, (first.error, second.error)
	frappe.db.rollback()
	assert invoice_state(inv.name) == (D(50), D(250), "Partially Paid")


# ---------------------------------------------------------------- bulk work and the naming series

LOCK_WAIT_SECONDS = 5


def committed_students(company, committed, count: int) -> list:
	students = [make_student(company) for _ in range(count)]
	for student in students:
		committed.extend([("Customer", student.customer), ("Student", student.name)])
	frappe.db.commit()
	return students


def test_a_credit_note_is_not_held_up_by_credit_notes_made_in_bulk(company, committed):
	"""Documents made in bulk (submit_per_student, behind make_credit_notes and make_deposits) are
	committed one by one. While the bulk action is between two students, another user's credit
	note, numbered from the same series, goes through at once (before, it waited for the whole action
	and timed out). A student whose credit note is refused at submit leaves nothing behind, not even
	the draft its insert wrote, and the others keep theirs."""
	done, refused, paused, single_student = committed_students(company, committed, 4)
	between, go_on = threading.Event(), threading.Event()

	def credit_note_for(student: str) -> dict:
		if student == paused.name:  # the students before it are done
			between.set()
			go_on.wait(timeout=60)
		return {
			"doctype": "Credit Note",
			"company": company,
			"student": student,
			"amount": 100,
			"posting_date": "2027-04-01",
			"reason_type": "Concession",
			# inserted as a draft, refused on submit: the approver must hold an approving role
			"approved_by": "Guest" if student == refused.name else None,
		}

	bulk = Connection(
		lambda: submit_per_student(
			[done.name, refused.name, paused.name], "bulk_credit_note", credit_note_for
		)
	)
	bulk.start()
	assert between.wait(timeout=60), bulk.error
	single = Connection(
		lambda: make_credit_note(company, single_student.name, 100).name,
		lock_wait_timeout=LOCK_WAIT_SECONDS,
	)
	single.start()
	single.join(timeout=60)
	bulk_still_going = bulk.is_alive()
	go_on.set()
	bulk.join(timeout=60)

	assert single.error is None, f"the credit note waited {single.seconds:.1f} s: {single.error!r}"
	assert bulk_still_going
	assert bulk.error is None, bulk.error
	assert [row["student"] for row in bulk.result["failed"]] == [refused.name]
	assert "cannot approve" in bulk.result["failed"][0]["error"]
	first, second = bulk.result["created"]
	assert first < single.result < second  # numbered in between
	frappe.db.rollback()  # a fresh snapshot for the reads below
	assert [remaining("Credit Note", name) for name in (first, single.result, second)] == [D(100)] * 3
	assert frappe.get_all("Credit Note", filters={"student": refused.name}) == []


def issue_with_auto_apply(name: str):
	"""Work for a Connection: submit the draft invoice with auto_apply_credit on in this connection's
	transaction only (put back before it commits, so no other session ever sees it on)."""

	def work():
		before = setting_enabled("auto_apply_credit")
		set_auto_apply_credit(True)
		try:
			frappe.get_doc("Fee Invoice", name).submit()
		finally:
			set_auto_apply_credit(before)

	return work


def test_an_invoice_paid_from_credit_takes_the_credit_series_before_it_locks_its_ledger_rows(
	company, committed
):
	"""Lock order: a Fee Invoice that open credit pays on submit makes an Apply Credit allocation. It
	takes that series before posting locks the invoice's ledger rows, so while it waits for the series
	(a third connection numbering an Apply Credit holds it) a locking read of those rows (the read a
	user applying credit makes of the rows it settles) is not kept waiting. Before, the invoice waited for the series holding the
	rows (and the index gap next to them): with a user who held the series and needed those rows,
	a deadlock."""
	(student,) = committed_students(company, committed, 1)
	head = make_fee_head(company=company)
	draft = make_fee_invoice(company, student.name, items=[(head.name, 1000)], posting_date="2027-04-01")
	credit = make_credit_note(company, student.name, 300)
	committed.extend([("Fee Head", head.name), ("Fee Invoice", draft.name), ("Credit Note", credit.name)])
	frappe.db.commit()

	release = threading.Event()
	numbering = Connection(hold_series(NAMING_SERIES_BY_TYPE[APPLY_CREDIT]), release)
	numbering.start()
	assert numbering.ready.wait(timeout=60) and numbering.error is None, numbering.error
	issuing = Connection(issue_with_auto_apply(draft.name))
	issuing.start()
	wait_until_running(issuing, "tabSeries", "for update")
	reader = Connection(
		lambda: receivable_balances("Fee Invoice", [draft.name], for_update=True),
		lock_wait_timeout=LOCK_WAIT_SECONDS,
	)
	reader.start()
	reader.join(timeout=60)
	issuing_still_waiting = running(issuing, "tabSeries", "for update")
	release.set()
	numbering.join(timeout=60)
	issuing.join(timeout=60)

	assert reader.error is None, f"the locking read waited {reader.seconds:.1f} s: {reader.error!r}"
	assert issuing_still_waiting
	assert issuing.error is None, issuing.error
	frappe.db.rollback()  # a fresh snapshot for the reads below
	assert invoice_state(draft.name) == (D(700), D(300), "Partially Paid")
	assert remaining("Credit Note", credit.name) == D(0)
	assert frappe.get_all(
		"Payment Allocation",
		filters={"customer": student.customer, "docstatus": 1},
		fields=["allocation_type", "source_name", "total_allocated"],
	) == [{"allocation_type": APPLY_CREDIT, "source_name": credit.name, "total_allocated": 300}]
