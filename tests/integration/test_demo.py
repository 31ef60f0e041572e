"""The demo loads a living term through the app's own documents, and only once.

The demo is loaded into its own school (committed once, like the other shared test companies), so
its term is always dated from today whatever the site's "Green Valley School" holds; the test's
transaction is rolled back, and the demo itself must not commit.
"""

from collections import Counter
from decimal import Decimal

import pytest
from connections import Connection
from factories import ensure_company
from payment_helpers import D

import frappe

from school_fees import demo
from school_fees.billing.preview import build_preview
from school_fees.core.billing import ALREADY_INVOICED
from school_fees.invoicing import jobs
from school_fees.payments import credit
from school_fees.settings import get_company_settings

COMPANY, ABBR = "_Test Demo School", "_TDS"
# What the payment plans of demo.py make of the 118 issued invoices (38 students billed three
# installments, the two late joiners two): see demo.PAYMENT_PLANS
EXPECTED_STATUSES = {"Paid": 79, "Partially Paid": 10, "Overdue": 12, "Issued": 17}


@pytest.fixture
def school(frappe_site, monkeypatch) -> str:
	"""The demo loaded with the School Fees switches at their defaults (patched, not written: a
	write to Singles would hold its row lock for the whole test)."""
	ensure_company(COMPANY, ABBR)
	switches = {"mark_overdue": True, "apply_late_fees": True, "auto_apply_credit": False}
	monkeypatch.setattr(jobs, "setting_enabled", switches.__getitem__)
	monkeypatch.setattr(credit, "setting_enabled", switches.__getitem__)
	demo.load(company=COMPANY, abbr=ABBR)
	return COMPANY


def test_demo_loads_a_living_term(school):
	structure = frappe.db.get_value("Fee Group", f"{ABBR} Class 6-7", "fee_structure")
	installments = sorted(frappe.get_doc("Fee Structure", structure).installments, key=lambda r: r.issue_date)
	today = frappe.utils.getdate()
	assert [row.issue_date <= today for row in installments] == [True, True, True, False]

	assert_invoice_statuses(school)
	assert_late_fees(school)
	assert_credit_note_applied(school)
	assert_deposit_used_in_part(school)
	assert_overpayment_refunded(school)
	assert_next_installment_left_to_bill(school, structure, installments[-1])
	assert_every_voucher_balances(school)
	assert_receivable_matches_documents(school)
	assert_not_committed(school)


def test_demo_loads_only_once(school):
	before = everything_of(school)
	demo.load(company=COMPANY, abbr=ABBR)
	assert everything_of(school) == before


# ---------------------------------------------------------------- assertions


def assert_invoice_statuses(company: str):
	invoices = frappe.get_all(
		"Fee Invoice", filters={"company": company, "is_late_fee": 0}, fields=["status", "docstatus"]
	)
	assert all(row.docstatus == 1 for row in invoices), "the demo leaves no draft (and cancels nothing)"
	assert Counter(row.status for row in invoices) == EXPECTED_STATUSES


def assert_late_fees(company: str):
	"""One late fee on each overdue invoice, by the structure's rule: 100 a started month once 7
	days late, at most 500."""
	late_fees = frappe.get_all(
		"Fee Invoice",
		filters={"company": company, "is_late_fee": 1},
		fields=["late_fee_for", "grand_total", "docstatus", "posting_date"],
	)
	overdue = frappe.get_all(
		"Fee Invoice",
		filters={"company": company, "is_late_fee": 0, "status": "Overdue"},
		fields=["name", "due_date"],
	)
	today = frappe.utils.getdate()
	assert sorted(row.late_fee_for for row in late_fees) == sorted(row.name for row in overdue)
	due_dates = {row.name: row.due_date for row in overdue}
	for row in late_fees:
		late = (today - due_dates[row.late_fee_for]).days - 7
		assert row.docstatus == 1 and row.posting_date == today
		assert D(row.grand_total) == D(min(100 * (1 + (late - 1) // 30), 500)), row


def assert_credit_note_applied(company: str):
	note = frappe.get_all(
		"Credit Note",
		filters={"company": company},
		fields=["name", "docstatus", "amount", "remaining_amount", "reason_type"],
	)
	assert len(note) == 1 and note[0].docstatus == 1 and note[0].reason_type == "Scholarship"
	assert D(note[0].amount) == D(demo.SCHOLARSHIP) and D(note[0].remaining_amount) == 0
	applied = frappe.get_all(
		"Payment Allocation",
		filters={"source_doctype": "Credit Note", "source_name": note[0].name, "docstatus": 1},
		fields=["allocation_type", "total_allocated", "name"],
	)
	assert [(row.allocation_type, D(row.total_allocated)) for row in applied] == [
		("Apply Credit", D(demo.SCHOLARSHIP))
	]
	invoice = frappe.get_all(
		"Payment Allocation Item", filters={"parent": applied[0].name}, pluck="fee_invoice"
	)[0]
	assert frappe.db.get_value("Fee Invoice", invoice, "status") == "Partially Paid"


def assert_deposit_used_in_part(company: str):
	deposits = frappe.get_all(
		"Deposit", filters={"company": company}, fields=["name", "docstatus", "amount", "remaining_amount"]
	)
	assert len(deposits) == 1 and deposits[0].docstatus == 1
	deposit = deposits[0]
	assert 0 < D(deposit.remaining_amount) < D(deposit.amount)
	assert D(deposit.remaining_amount) == D(demo.DEPOSIT_AMOUNT - demo.DEPOSIT_USED)
	used = frappe.get_all(
		"Payment Allocation",
		filters={"source_doctype": "Deposit", "source_name": deposit.name, "docstatus": 1},
		fields=["allocation_type", "total_allocated"],
	)
	assert [(row.allocation_type, D(row.total_allocated)) for row in used] == [
		("Apply Deposit", D(demo.DEPOSIT_USED))
	]


def assert_overpayment_refunded(company: str):
	refunds = frappe.get_all(
		"Payment Allocation",
		filters={"company": company, "allocation_type": "Refund"},
		fields=["docstatus", "paid_amount", "source_doctype", "source_name"],
	)
	assert len(refunds) == 1 and refunds[0].docstatus == 1
	refund = refunds[0]
	assert D(refund.paid_amount) == D(demo.OVERPAYMENT)
	receipt = frappe.db.get_value(
		"Payment Allocation",
		refund.source_name,
		["allocation_type", "unallocated_amount", "remaining_amount"],
		as_dict=True,
	)
	assert refund.source_doctype == "Payment Allocation" and receipt.allocation_type == "Receipt"
	assert D(receipt.unallocated_amount) == D(demo.OVERPAYMENT) and D(receipt.remaining_amount) == 0


def assert_next_installment_left_to_bill(company: str, structure: str, next_installment):
	assert not frappe.get_all(
		"Fee Invoice", filters={"company": company, "installment": next_installment.installment}
	)
	run = frappe.get_doc(
		{
			"doctype": "Billing Run",
			"company": company,
			"academic_term": frappe.db.get_value("Fee Structure", structure, "academic_term"),
			"fee_structure": structure,
			"installment": next_installment.installment,
			"scope": "All",
			"posting_date": next_installment.issue_date,
			"issue_invoices": 1,
		}
	)
	preview = build_preview(run)
	assert not preview.blocking, preview.blocking
	assert preview.skipped_by_reason[ALREADY_INVOICED] == 0
	assert preview.student_count == demo.STUDENT_COUNT and preview.invoice_count == demo.STUDENT_COUNT
	assert not preview.failing


def assert_every_voucher_balances(company: str):
	vouchers = frappe.db.sql(
		"""select voucher_type, voucher_no, sum(debit) as debit, sum(credit) as credit
		from `tabGL Entry` where company = %s and is_cancelled = 0
		group by voucher_type, voucher_no""",
		company,
		as_dict=True,
	)
	assert Counter(row.voucher_type for row in vouchers).keys() >= {
		"Fee Invoice",
		"Payment Allocation",
		"Credit Note",
		"Deposit",
	}
	unbalanced = [row for row in vouchers if D(row.debit) != D(row.credit)]
	assert not unbalanced, unbalanced


def assert_receivable_matches_documents(company: str):
	"""The fee receivable in GL equals what the invoices owe less the open credit."""
	receivable = get_company_settings(company).receivable_account
	balance = frappe.db.sql(
		"""select sum(debit - credit) from `tabGL Entry`
		where company = %s and account = %s and is_cancelled = 0""",
		(company, receivable),
	)[0][0]
	owed = total(company, "Fee Invoice", "outstanding_amount")
	open_credit = total(company, "Credit Note", "remaining_amount") + total(
		company, "Payment Allocation", "remaining_amount"
	)
	assert owed > 0
	assert D(balance) == owed - open_credit


def assert_not_committed(company: str):
	"""Outside this test's transaction the demo school has no students: nothing was committed."""
	other = Connection(lambda: frappe.db.count("Student", {"company": company}))
	other.start()
	other.join(timeout=60)
	assert other.error is None and other.result == 0


# ---------------------------------------------------------------- helpers


def total(company: str, doctype: str, fieldname: str) -> Decimal:
	values = frappe.get_all(doctype, filters={"company": company, "docstatus": 1}, pluck=fieldname)
	return D(sum((D(value) for value in values), D(0)))


def everything_of(company: str) -> dict:
	"""Every document the demo makes, by DocType and status, and the school's GL rows."""
	counts = {
		doctype: Counter(
			(row.docstatus, row.get("status") or row.get("allocation_type"))
			for row in frappe.get_all(
				doctype,
				filters={"company": company},
				fields=["docstatus", *extra],
			)
		)
		for doctype, extra in (
			("Student", ["status"]),
			("Fee Invoice", ["status"]),
			("Payment Allocation", ["allocation_type"]),
			("Credit Note", []),
			("Deposit", []),
			("Fee Structure", []),
			("Fee Group", []),
			("Class Section", []),
			("Fee Discount", []),
		)
	}
	counts["Academic Term"] = frappe.db.count("Academic Term", {"name": ("like", f"{ABBR} %")})
	counts["GL Entry"] = frappe.db.count("GL Entry", {"company": company})
	counts["Payment Ledger Entry"] = frappe.db.count("Payment Ledger Entry", {"company": company})
	return counts
