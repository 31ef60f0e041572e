"""Credit Note on the real site: GL by reason type, seed 002's split and automatic use of the rest,
guardian email, bulk creation, cancellation."""

import pytest
from factories import make_credit_note, make_fee_head, make_fee_invoice, make_payment_allocation, make_student
from payment_helpers import (
	D,
	accounts,
	asset_manifest_stand_in,
	gl_rows,
	invoice_state,
	ple_rows,
	remaining,
	set_auto_apply_credit,
)

import frappe

from school_fees.payments.allocation import CreditSourceError
from school_fees.payments.credit import make_credit_notes
from school_fees.school_fees.doctype.credit_note.credit_note import CreditNoteError


@pytest.fixture
def student(company):
	return make_student(company, guardian_email=f"{frappe.generate_hash(length=8)}@guardian.invalid")


@pytest.fixture
def outgoing_mail_with_assets(outgoing_mail):
	"""The shared outgoing Email Account (conftest), with an asset manifest for the email template."""
	with asset_manifest_stand_in():
		yield


@pytest.fixture
def no_outgoing_email():
	frappe.local.outgoing_email_account = {}
	frappe.db.set_value(
		"Email Account", {"enable_outgoing": 1}, {"enable_outgoing": 0, "default_outgoing": 0}
	)
	yield
	frappe.local.outgoing_email_account = {}


def invoice(company, student, amount, posting_date="2027-04-01"):
	head = make_fee_head(company=company).name
	return make_fee_invoice(
		company, student.name, items=[(head, amount)], posting_date=posting_date, submit=True
	)


def apply_credit(company, student, note, allocations):
	return make_payment_allocation(
		company,
		student.customer,
		"Apply Credit",
		source_doctype="Credit Note",
		source_name=note.name,
		allocations=allocations,
	)


@pytest.mark.parametrize(
	"reason_type, account_field",
	[
		("Concession", "concession_account"),
		("Scholarship", "scholarship_account"),
		("Cancelled Class", "cancelled_class_account"),
		("Write-off", "write_off_account"),
	],
)
def test_credit_note_gl_by_reason_type(company, student, reason_type, account_field):
	note = make_credit_note(company, student.name, amount=250, reason_type=reason_type)
	settings = accounts(company)
	assert note.customer == student.customer and note.credit_account == settings[account_field]
	assert gl_rows("Credit Note", note.name) == sorted(
		[
			(settings[account_field], D(250), D(0), None, None, None),
			(settings.receivable_account, D(0), D(250), student.customer, "Credit Note", note.name),
		]
	)
	assert ple_rows("Credit Note", note.name) == [
		(settings.receivable_account, student.customer, "Credit Note", note.name, D(-250))
	]
	cost_centers = frappe.get_all(
		"GL Entry", filters={"voucher_no": note.name, "is_cancelled": 0}, pluck="cost_center"
	)
	assert set(cost_centers) == {settings.cost_center}
	assert remaining("Credit Note", note.name) == D(250)


def test_seed_002_credit_of_250_split_100_and_150_across_two_invoices(company, student):
	first, second = invoice(company, student, 300), invoice(company, student, 400)
	note = make_credit_note(company, student.name, amount=250)

	apply_credit(company, student, note, [(first.name, 100), (second.name, 150)])

	assert invoice_state(first.name) == (D(200), D(100), "Partially Paid")
	assert invoice_state(second.name) == (D(250), D(150), "Partially Paid")
	assert remaining("Credit Note", note.name) == D(0)


def test_seed_002_rest_of_credit_goes_to_the_next_invoice_automatically(company, student):
	set_auto_apply_credit(True)
	first = invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=250)
	apply_credit(company, student, note, [(first.name, 100)])
	assert remaining("Credit Note", note.name) == D(150)

	following = invoice(company, student, 400, posting_date="2027-05-01")

	assert invoice_state(following.name) == (D(250), D(150), "Partially Paid")
	assert remaining("Credit Note", note.name) == D(0)
	[auto] = frappe.get_all(
		"Payment Allocation",
		filters={"source_name": note.name, "docstatus": 1, "remarks": ("like", f"%{following.name}%")},
		fields=["name", "allocation_type", "posting_date"],
	)
	assert auto.allocation_type == "Apply Credit" and str(auto.posting_date) == "2027-05-01"
	settings = accounts(company)
	assert gl_rows("Payment Allocation", auto.name) == sorted(
		[
			(settings.receivable_account, D(150), D(0), student.customer, "Credit Note", note.name),
			(settings.receivable_account, D(0), D(150), student.customer, "Fee Invoice", following.name),
		]
	)


def test_auto_apply_uses_oldest_credit_first_and_stops_when_paid(company, student):
	set_auto_apply_credit(True)
	newer = make_credit_note(company, student.name, amount=100, posting_date="2027-03-01")
	older = make_credit_note(company, student.name, amount=100, posting_date="2027-02-01")
	receipt = make_payment_allocation(company, student.customer, paid_amount=100, posting_date="2027-01-15")

	inv = invoice(company, student, 150, posting_date="2027-04-01")

	assert invoice_state(inv.name) == (D(0), D(150), "Paid")
	assert remaining("Payment Allocation", receipt.name) == D(0)
	assert remaining("Credit Note", older.name) == D(50)
	assert remaining("Credit Note", newer.name) == D(100)


def test_no_auto_apply_when_the_setting_is_off(company, student):
	set_auto_apply_credit(False)
	note = make_credit_note(company, student.name, amount=100)
	inv = invoice(company, student, 150)
	assert invoice_state(inv.name)[0] == D(150)
	assert remaining("Credit Note", note.name) == D(100)


def test_notify_guardian_queues_an_email(company, student, outgoing_mail_with_assets):
	approver = frappe.db.get_value("User", {"name": "Administrator"}, "name")
	note = make_credit_note(company, student.name, amount=75, notify_guardian=1, approved_by=approver)
	queued = frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Credit Note", "reference_name": note.name},
		fields=["name", "message"],
	)
	assert len(queued) == 1
	recipients = frappe.get_all(
		"Email Queue Recipient", filters={"parent": queued[0].name}, pluck="recipient"
	)
	assert student.guardian_email in recipients
	assert "75" in queued[0].message


def test_credit_note_is_submitted_even_when_the_site_cannot_send_mail(company, student, no_outgoing_email):
	note = make_credit_note(company, student.name, amount=75, notify_guardian=1)
	assert note.docstatus == 1 and remaining("Credit Note", note.name) == D(75)
	assert not frappe.get_all("Email Queue", filters={"reference_name": note.name})


def test_no_email_without_notify_guardian(company, student):
	note = make_credit_note(company, student.name, amount=75)
	assert not frappe.get_all("Email Queue", filters={"reference_name": note.name})


def test_bulk_credit_notes_for_many_students(company, student, outgoing_mail_with_assets):
	others = [make_student(company) for _ in range(2)]
	students = [student.name, *(s.name for s in others)]
	result = make_credit_notes(
		students, "120.50", "2027-04-01", "Scholarship", reason="Merit list", notify_guardian=1
	)
	assert result["failed"] == []
	notes = frappe.get_all(
		"Credit Note",
		filters={"name": ("in", result["created"])},
		fields=["student", "amount", "remaining_amount", "docstatus", "reason_type"],
	)
	assert sorted(n.student for n in notes) == sorted(students)
	assert all(n.docstatus == 1 and D(n.remaining_amount) == D("120.50") for n in notes)
	assert frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Credit Note", "reference_name": ("in", result["created"])},
	)


def test_bulk_credit_notes_report_a_student_that_fails(company, student):
	result = make_credit_notes([student.name, "STU-DOES-NOT-EXIST"], 50, "2027-04-01", "Concession")
	assert len(result["created"]) == 1
	assert [row["student"] for row in result["failed"]] == ["STU-DOES-NOT-EXIST"]


def test_amount_must_be_positive(company, student):
	with pytest.raises(CreditNoteError):
		make_credit_note(company, student.name, amount=0)


def test_cancel_credit_note_reverses_it(company, student):
	note = make_credit_note(company, student.name, amount=250)
	note.cancel()
	assert gl_rows("Credit Note", note.name) == []
	assert remaining("Credit Note", note.name) == D(0)


def test_used_credit_note_cannot_be_cancelled(company, student):
	inv = invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=250)
	applied = apply_credit(company, student, note, [(inv.name, 100)])
	with pytest.raises(CreditSourceError, match=applied.name):
		note.cancel()


def test_auto_apply_failure_does_not_block_issuing_the_invoice(company, student):
	"""Payment Allocations are closed for February 2028: the invoice is still issued, the credit
	stays open, and the failure is logged."""
	set_auto_apply_credit(True)
	frappe.get_doc(
		{
			"doctype": "Accounting Period",
			"period_name": f"Closed for allocations {frappe.generate_hash(length=6)}",
			"company": company,
			"start_date": "2028-02-01",
			"end_date": "2028-02-29",
			"closed_documents": [{"document_type": "Payment Allocation", "closed": 1}],
		}
	).insert()
	note = make_credit_note(company, student.name, amount=100, posting_date="2028-01-10")

	inv = invoice(company, student, 300, posting_date="2028-02-10")

	logged = {"reference_doctype": "Fee Invoice", "reference_name": inv.name}
	try:
		assert invoice_state(inv.name) == (D(300), D(0), "Issued")
		assert remaining("Credit Note", note.name) == D(100)
		assert frappe.get_all("Error Log", filters=logged)
	finally:
		frappe.db.delete("Error Log", logged)  # MyISAM: outside the test's rollback
