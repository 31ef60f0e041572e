"""Two receipts racing for one invoice, each in its own database connection (thread).

The first submits and keeps its transaction open (holding the invoice lock); the second submits a
draft saved earlier, so its validation still sees the invoice unpaid in its snapshot and only the
locked re-check can stop it. The data is committed (another connection must see it), unique to
the test, and deleted afterwards.
"""

import threading
import time

import pytest
from connections import Connection
from factories import make_fee_head, make_fee_invoice, make_payment_allocation, make_student
from payment_helpers import D, invoice_state

import frappe

from school_fees.payments.allocation import OverAllocationError


@pytest.fixture
def committed(company):
	"""Collects committed documents and deletes them (and their ledger rows) after the test."""
	made: list[tuple[str, str]] = []
	yield made
	frappe.db.rollback()
	names = [name for _doctype, name in made]
	vouchers = names + frappe.get_all(
		"Payment Allocation", filters={"customer": ("in", customers(made))}, pluck="name"
	)
	for table in ("GL Entry", "Payment Ledger Entry"):
		frappe.db.delete(table, {"voucher_no": ("in", vouchers)})
	frappe.db.delete("Fee Audit Log", {"reference_name": ("in", vouchers)})
	frappe.db.delete("Payment Allocation Item", {"parent": ("in", vouchers)})
	frappe.db.delete("Payment Allocation", {"name": ("in", vouchers)})
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
