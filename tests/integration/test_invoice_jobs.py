"""The daily Fee Invoice jobs with explicit as_of dates: issuing due drafts, overdue flips (and back),
and late fees charged once per period within the cap.

The jobs commit per invoice in production; under the test suite (frappe.flags.in_test) they leave
the commit to the suite, which rolls every test back. The jobs are run for one school, "_Test
School B", and in 2024, a year no other test bills in, so they reach only these tests' invoices."""

from datetime import date, timedelta

import pytest
from factories import (
	ensure_company,
	make_academic_term,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_generated_invoices,
	make_income_account,
	make_payment_allocation,
	make_student,
)

import frappe

from school_fees.core.billing import late_fee_billing_key
from school_fees.invoicing.jobs import apply_late_fees, issue_due_invoices, mark_overdue_invoices

SETTINGS = "School Fees Settings"
SCHOOL, SCHOOL_ABBR = "_Test School B", "_TSB"
RECEIVABLE = f"Student Fees Receivable - {SCHOOL_ABBR}"


@pytest.fixture
def school(frappe_site) -> str:
	return ensure_company(SCHOOL, SCHOOL_ABBR)  # exists already: nothing committed


def receive(school: str, invoice, amount: float, posting_date: str):
	return make_payment_allocation(
		school,
		invoice.customer,
		paid_amount=amount,
		posting_date=posting_date,
		allocations=[(invoice.name, amount)],
		paid_to=frappe.db.get_value("Company", school, "default_cash_account"),
	)


def status(name: str) -> str:
	return frappe.db.get_value("Fee Invoice", name, "status")


def status_changes(name: str) -> list[tuple]:
	return [
		(row.from_status, row.to_status)
		for row in frappe.get_all(
			"Fee Audit Log",
			filters={"reference_name": name, "action": "Status Change"},
			fields=["from_status", "to_status"],
			order_by="timestamp, creation",
		)
	]


def late_fees_of(name: str) -> list[frappe._dict]:
	return frappe.get_all(
		"Fee Invoice",
		filters={"late_fee_for": name},
		fields=[
			"name",
			"grand_total",
			"billing_key",
			"docstatus",
			"status",
			"posting_date",
			"due_date",
			"is_late_fee",
		],
		order_by="creation",
	)


# ---------------------------------------------------------------- issuing


QUARTERS_2024 = [
	("Q1", "2024-04-01", "2024-04-15", 25),
	("Q2", "2024-07-01", "2024-07-15", 25),
	("Q3", "2024-10-01", "2024-10-15", 25),
	("Q4", "2025-01-01", "2025-01-15", 25),
]


def make_structure_2024(school, components, **kwargs):
	term = make_academic_term(start_date="2024-04-01", end_date="2025-03-31", academic_year="2024-25")
	return make_fee_structure(
		school, components=components, installments=QUARTERS_2024, academic_term=term.name, **kwargs
	)


@pytest.fixture
def drafts(school):
	"""Four Draft quarterly invoices (issue dates 1 Apr, 1 Jul, 1 Oct 2024, 1 Jan 2025) of 3,000."""
	structure = make_structure_2024(school, {make_fee_head(company=school).name: 12000})
	student = make_student(school, joining_date="2024-04-01")
	return {doc.installment: doc.name for doc in make_generated_invoices(student.name, structure.name)}


def test_issue_due_invoices_submits_drafts_whose_date_has_come(drafts):
	issued = issue_due_invoices(as_of="2024-07-01", company=SCHOOL)

	assert {drafts["Q1"], drafts["Q2"]} <= set(issued)
	assert not {drafts["Q3"], drafts["Q4"]} & set(issued)
	assert [frappe.db.get_value("Fee Invoice", drafts[q], "docstatus") for q in ("Q1", "Q2", "Q3", "Q4")] == [
		1,
		1,
		0,
		0,
	]
	# as of 1 July, Q1 (due 15 April) is already overdue; Q2 (due 15 July) is not
	assert (status(drafts["Q1"]), status(drafts["Q2"])) == ("Overdue", "Issued")
	assert (
		frappe.db.count("GL Entry", {"voucher_no": drafts["Q2"], "account": RECEIVABLE, "debit": 3000}) == 1
	)

	assert not set(issue_due_invoices(as_of="2024-07-01", company=SCHOOL)) & set(
		drafts.values()
	)  # idempotent


def test_issue_due_invoices_does_nothing_when_switched_off(drafts):
	frappe.db.set_single_value(SETTINGS, "auto_issue_invoices", 0)
	assert issue_due_invoices(as_of="2025-03-31", company=SCHOOL) == []
	assert {frappe.db.get_value("Fee Invoice", name, "docstatus") for name in drafts.values()} == {0}


def test_one_invoice_that_cannot_be_issued_does_not_stop_the_others(school):
	head = make_fee_head(company=school).name
	bad = make_fee_invoice(school, items=[(head, 100)], posting_date="2024-03-10", due_date="2024-03-31")
	good = make_fee_invoice(school, items=[(head, 100)], posting_date="2024-03-20", due_date="2024-03-31")
	frappe.get_doc(
		{
			"doctype": "Accounting Period",
			"period_name": f"Closed {frappe.generate_hash(length=6)}",
			"company": school,
			"start_date": "2024-03-01",
			"end_date": "2024-03-15",
			"closed_documents": [{"document_type": "Fee Invoice", "closed": 1}],
		}
	).insert()

	def error_logs():
		return set(
			frappe.get_all(
				"Error Log",
				filters={"reference_doctype": "Fee Invoice", "reference_name": bad.name},
				pluck="name",
			)
		)

	# Error Log is a MyISAM table: its rows outlive the test's rollback, and invoice names repeat
	# from run to run (the naming series is rolled back too), so only the new rows count
	logged_before = error_logs()
	issued = issue_due_invoices(as_of="2024-03-31", company=SCHOOL)

	assert good.name in issued and bad.name not in issued
	assert frappe.db.get_value("Fee Invoice", good.name, "docstatus") == 1
	assert frappe.db.get_value("Fee Invoice", bad.name, "docstatus") == 0
	assert frappe.db.count("GL Entry", {"voucher_no": bad.name}) == 0
	[logged] = error_logs() - logged_before
	assert "closed Accounting Period" in frappe.db.get_value("Error Log", logged, "error")
	frappe.db.delete("Error Log", {"name": logged})


# ---------------------------------------------------------------- overdue


@pytest.fixture
def issued(school):
	"""An issued one-off invoice of 3,000 due on 15 January 2024."""
	invoice = make_fee_invoice(
		school,
		items=[(make_fee_head(company=school).name, 3000)],
		posting_date="2024-01-01",
		due_date="2024-01-15",
		submit=True,
	)
	assert status(invoice.name) == "Overdue"  # issued today, long after its due date
	assert invoice.name in mark_overdue_invoices(as_of="2024-01-10", company=SCHOOL)  # back to "not yet due"
	assert status(invoice.name) == "Issued"
	return invoice


def test_mark_overdue_flips_past_due_invoices_and_back(issued):
	assert issued.name in mark_overdue_invoices(as_of="2024-01-16", company=SCHOOL)
	assert status(issued.name) == "Overdue"
	assert status_changes(issued.name)[-1] == ("Issued", "Overdue")

	assert issued.name not in mark_overdue_invoices(
		as_of="2024-01-16", company=SCHOOL
	)  # second run: nothing to do
	assert status_changes(issued.name)[-1] == ("Issued", "Overdue")

	mark_overdue_invoices(as_of="2024-01-15", company=SCHOOL)  # due today is not overdue
	assert status(issued.name) == "Issued"
	assert status_changes(issued.name)[-1] == ("Overdue", "Issued")


def test_an_overdue_invoice_is_paid_when_settled_and_stays_paid(school, issued):
	mark_overdue_invoices(as_of="2024-01-16", company=SCHOOL)
	receive(school, issued, 1000, "2024-01-20")
	mark_overdue_invoices(as_of="2024-01-20", company=SCHOOL)
	assert status(issued.name) == "Overdue"  # partly paid and past due
	assert frappe.db.get_value("Fee Invoice", issued.name, "outstanding_amount") == 2000

	receive(school, issued, 2000, "2024-01-25")
	assert status(issued.name) == "Paid"
	assert frappe.db.get_value("Fee Invoice", issued.name, ["outstanding_amount", "paid_amount"]) == (0, 3000)

	# a status left stale (a ledger change that bypassed the hooks) is repaired by the daily job
	frappe.db.set_value("Fee Invoice", issued.name, "status", "Overdue", update_modified=False)
	assert issued.name in mark_overdue_invoices(as_of="2024-01-26", company=SCHOOL)
	assert status(issued.name) == "Paid"
	assert issued.name not in mark_overdue_invoices(as_of="2024-01-26", company=SCHOOL)


def test_mark_overdue_does_nothing_when_switched_off(issued):
	frappe.db.set_single_value(SETTINGS, "mark_overdue", 0)
	assert mark_overdue_invoices(as_of="2024-02-01", company=SCHOOL) == []
	assert status(issued.name) == "Issued"


# ---------------------------------------------------------------- late fees


@pytest.fixture
def late_fee_setup(school):
	late_fee_account = make_income_account(school)
	return frappe._dict(
		tuition=make_fee_head(company=school).name,
		late_head=make_fee_head(company=school, income_account=late_fee_account).name,
		late_fee_account=late_fee_account,
	)


def overdue_invoice(school, setup, **rule):
	"""Q1 of a structure with the given late-fee rule, issued; 3,000 due 15 April 2024."""
	structure = make_structure_2024(
		school,
		{setup.tuition: 12000},
		late_fee_applicable=1,
		late_fee_head=setup.late_head,
		**rule,
	)
	student = make_student(school, joining_date="2024-04-01")
	[invoice] = make_generated_invoices(student.name, structure.name, installment="Q1", submit=True)
	return invoice


DUE = date(2024, 4, 15)


def day(offset: int) -> str:
	return str(DUE + timedelta(days=offset))


def test_a_once_late_fee_is_charged_once_after_the_grace_days(school, late_fee_setup):
	invoice = overdue_invoice(
		school,
		late_fee_setup,
		late_fee_type="Flat",
		late_fee_value=200,
		late_fee_frequency="Once",
		late_fee_grace_days=5,
	)

	apply_late_fees(as_of=day(5), company=SCHOOL)  # within the grace days
	assert late_fees_of(invoice.name) == []

	created = apply_late_fees(as_of=day(10), company=SCHOOL)
	[late] = late_fees_of(invoice.name)
	assert late.name in created
	assert (late.is_late_fee, late.docstatus, late.status, late.grand_total) == (1, 1, "Issued", 200)
	assert late.billing_key == late_fee_billing_key(invoice.name, 1)
	assert str(late.posting_date) == str(late.due_date) == day(10)

	gl = frappe.get_all(
		"GL Entry",
		filters={"voucher_no": late.name, "is_cancelled": 0},
		fields=["account", "debit", "credit", "party", "against_voucher"],
		order_by="account",
	)
	assert {(r.account, r.debit, r.credit) for r in gl} == {
		(RECEIVABLE, 200, 0),
		(late_fee_setup.late_fee_account, 0, 200),
	}
	assert [r.against_voucher for r in gl if r.account == RECEIVABLE] == [late.name]
	assert [r.party for r in gl if r.account == RECEIVABLE] == [invoice.customer]

	apply_late_fees(as_of=day(10), company=SCHOOL)
	apply_late_fees(as_of=day(40), company=SCHOOL)
	assert len(late_fees_of(invoice.name)) == 1  # "Once" means once

	log = frappe.get_all(
		"Fee Audit Log", filters={"reference_name": invoice.name, "action": "Late Fee"}, pluck="reason"
	)
	assert len(log) == 1 and late.name in log[0]


def test_a_daily_late_fee_grows_once_per_day_up_to_the_cap(school, late_fee_setup):
	invoice = overdue_invoice(
		school,
		late_fee_setup,
		late_fee_type="Flat",
		late_fee_value=50,
		late_fee_frequency="Per Day",
		late_fee_cap=120,
	)

	apply_late_fees(as_of=day(1), company=SCHOOL)
	apply_late_fees(as_of=day(1), company=SCHOOL)  # the same day again: nothing more
	assert [l.grand_total for l in late_fees_of(invoice.name)] == [50]

	apply_late_fees(as_of=day(2), company=SCHOOL)
	apply_late_fees(as_of=day(3), company=SCHOOL)  # 150 earned, capped at 120
	apply_late_fees(as_of=day(9), company=SCHOOL)
	charged = late_fees_of(invoice.name)
	assert [l.grand_total for l in charged] == [50, 50, 20]
	assert [l.billing_key for l in charged] == [late_fee_billing_key(invoice.name, n) for n in (1, 2, 3)]
	assert sum(l.grand_total for l in charged) == 120


def test_a_monthly_percent_late_fee_catches_up_a_missed_month(school, late_fee_setup):
	invoice = overdue_invoice(
		school, late_fee_setup, late_fee_type="Percent", late_fee_value=2, late_fee_frequency="Per Month"
	)

	apply_late_fees(as_of=day(10), company=SCHOOL)  # month 1: 2% of 3,000
	apply_late_fees(as_of=day(75), company=SCHOOL)  # months 2 and 3 in one go
	assert [l.grand_total for l in late_fees_of(invoice.name)] == [60, 120]


def test_no_late_fee_on_a_paid_invoice_or_when_switched_off(school, late_fee_setup):
	paid = overdue_invoice(
		school, late_fee_setup, late_fee_type="Flat", late_fee_value=100, late_fee_frequency="Once"
	)
	unpaid = overdue_invoice(
		school, late_fee_setup, late_fee_type="Flat", late_fee_value=100, late_fee_frequency="Once"
	)
	receive(school, paid, 3000, "2024-04-20")

	frappe.db.set_single_value(SETTINGS, "apply_late_fees", 0)
	assert apply_late_fees(as_of=day(10), company=SCHOOL) == []
	assert late_fees_of(unpaid.name) == []

	frappe.db.set_single_value(SETTINGS, "apply_late_fees", 1)
	apply_late_fees(as_of=day(10), company=SCHOOL)
	assert late_fees_of(paid.name) == []
	assert [l.grand_total for l in late_fees_of(unpaid.name)] == [100]


def test_a_cancelled_late_fee_frees_its_period(school, late_fee_setup):
	"""Late fees already charged are those of live late-fee invoices: a cancelled one (e.g. a
	wrongly charged fee) is charged again by the next run, under the same period key."""
	from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice

	invoice = overdue_invoice(
		school, late_fee_setup, late_fee_type="Flat", late_fee_value=100, late_fee_frequency="Once"
	)
	apply_late_fees(as_of=day(3), company=SCHOOL)
	[first] = late_fees_of(invoice.name)
	cancel_fee_invoice(first.name, "Charged on a bank holiday")

	apply_late_fees(as_of=day(4), company=SCHOOL)
	[cancelled, second] = late_fees_of(invoice.name)
	assert (cancelled.docstatus, cancelled.billing_key) == (2, None)
	assert (second.docstatus, second.grand_total) == (1, 100)
	assert second.billing_key == late_fee_billing_key(invoice.name, 1)


def test_an_invoice_with_live_late_fees_cannot_be_cancelled_before_them(school, late_fee_setup):
	from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice

	invoice = overdue_invoice(
		school, late_fee_setup, late_fee_type="Flat", late_fee_value=100, late_fee_frequency="Once"
	)
	apply_late_fees(as_of=day(3), company=SCHOOL)
	[late] = late_fees_of(invoice.name)

	with pytest.raises(frappe.ValidationError, match=late.name):
		cancel_fee_invoice(invoice.name, "Billed under the wrong structure")

	cancel_fee_invoice(late.name, "Follows the cancelled invoice")
	assert cancel_fee_invoice(invoice.name, "Billed under the wrong structure") == "Cancelled"
