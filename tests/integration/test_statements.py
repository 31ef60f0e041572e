"""Statements of account (school_fees.statements): opening balance, every invoice, receipt, credit
note, credit or deposit applied and refund with a running balance, and a closing balance equal to the
ledger's (ledger.balances.get_balance: outstanding - open credit); deposits in their own column; the
PDF read back with pypdf; the email to the guardian with the PDF attached; a class section's
statements in one job."""

import io
import json

import pytest
from factories import (
	make_class_section,
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_grade,
	make_income_account,
	make_payment_allocation,
	make_student,
	make_user,
	unique,
)
from payment_helpers import D
from pypdf import PdfReader

import frappe
from frappe.utils import getdate

from school_fees import statements
from school_fees.ledger.balances import get_balance
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice
from school_fees.statements import (
	StatementPeriodError,
	StatementRecipientError,
	email_statement,
	make_statement,
	run_class_statements,
	send_class_statements,
	statement_pdf,
)


@pytest.fixture
def head(company):
	return make_fee_head(company=company, income_account=make_income_account(company)).name


def invoice(company, student, head, amount, posting_date, due_date=None):
	return make_fee_invoice(
		company,
		student.name,
		items=[(head, amount)],
		posting_date=posting_date,
		due_date=due_date or posting_date,
		submit=True,
	)


@pytest.fixture
def account(company, head):
	"""A term of a student's account, April to June 2027, with a sibling on the same family customer
	whose documents must stay off the student's statement."""
	student = make_student(company, guardian_email="asha@school-fees.invalid", guardian_name="Asha Rao")
	sibling = make_student(company, customer=student.customer)
	docs = frappe._dict(student=student, sibling=sibling)
	customer = student.customer
	docs.april = invoice(company, student, head, 1000, "2027-04-01", "2027-04-30")
	docs.sibling_invoice = invoice(company, sibling, head, 700, "2027-04-01")
	docs.deposit = make_deposit(company, student.name, amount=500, posting_date="2027-04-10")
	docs.first_receipt = make_payment_allocation(
		company,
		customer,
		paid_amount=600,
		posting_date="2027-04-15",
		student=student.name,
		allocations=[(docs.april.name, 600)],
	)
	docs.may = invoice(company, student, head, 2000, "2027-05-01", "2027-05-31")
	docs.wrong = invoice(company, student, head, 999, "2027-05-02")
	cancel_fee_invoice(docs.wrong.name, "Charged to the wrong student")
	docs.concession = make_credit_note(company, student.name, amount=300, posting_date="2027-05-05")
	docs.applied_credit = make_payment_allocation(
		company,
		customer,
		"Apply Credit",
		posting_date="2027-05-10",
		student=student.name,
		source_doctype="Credit Note",
		source_name=docs.concession.name,
		allocations=[(docs.may.name, 300)],
	)
	# pays the rest of April and May, and 400 more: open credit on the receipt
	docs.second_receipt = make_payment_allocation(
		company,
		customer,
		paid_amount=2500,
		posting_date="2027-05-20",
		student=student.name,
		allocations=[(docs.april.name, 400), (docs.may.name, 1700)],
	)
	docs.june = invoice(company, student, head, 1000, "2027-06-01", "2027-06-30")
	docs.applied_deposit = make_payment_allocation(
		company,
		customer,
		"Apply Deposit",
		posting_date="2027-06-05",
		student=student.name,
		source_doctype="Deposit",
		source_name=docs.deposit.name,
		allocations=[(docs.june.name, 200)],
	)
	docs.refund = make_payment_allocation(
		company,
		customer,
		"Refund",
		paid_amount=100,
		posting_date="2027-06-10",
		student=student.name,
		source_doctype="Payment Allocation",
		source_name=docs.second_receipt.name,
	)
	return docs


def pdf_text(pdf: bytes) -> str:
	"""The PDF's text, words separated by single spaces (wkhtmltopdf's text runs carry tabs)."""
	return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def ledger_balance(student: str, as_of: str):
	balance = get_balance(student=student, as_of=as_of)
	return balance["outstanding"] - balance["open_credit"], balance["deposit_held"]


def lines(statement) -> list[tuple]:
	return [(row.voucher, row.debit, row.credit, row.balance) for row in statement["rows"]]


def test_a_month_opens_where_the_last_closed_and_closes_on_the_ledger(company, account):
	may = make_statement(account.student.name, "2027-05-01", "2027-05-31")

	assert may["opening_balance"] == D(400)  # April: 1,000 invoiced, 600 received
	assert lines(may) == [
		(account.may.name, D(2000), D(0), D(2400)),
		(account.concession.name, D(0), D(300), D(2100)),
		(account.applied_credit.name, D(0), D(0), D(2100)),  # the student's own credit: no change
		(account.second_receipt.name, D(0), D(2500), D(-400)),
	]
	assert may["closing_balance"] == D(-400)  # 400 of credit in the student's favour
	assert (may["closing_balance"], may["closing_deposit"]) == ledger_balance(
		account.student.name, "2027-05-31"
	)
	assert may["opening_balance"] + may["total_debit"] - may["total_credit"] == may["closing_balance"]
	assert (may["opening_deposit"], may["closing_deposit"]) == (D(500), D(500))
	# April closes where May opens
	april = make_statement(account.student.name, "2027-04-01", "2027-04-30")
	assert (
		april["closing_balance"]
		== may["opening_balance"]
		== ledger_balance(account.student.name, "2027-04-30")[0]
	)

	descriptions = {row.voucher: row.description for row in may["rows"]}
	assert account.may.name in descriptions[account.second_receipt.name]
	assert account.april.name in descriptions[account.second_receipt.name]
	assert descriptions[account.second_receipt.name].startswith("Payment received (Cash")
	assert (
		descriptions[account.applied_credit.name]
		== f"Credit {account.concession.name} applied to {account.may.name}"
	)
	assert descriptions[account.concession.name] == "Credit note: Concession"


def test_the_whole_term_shows_deposits_apart_and_leaves_out_cancelled_and_sibling_documents(company, account):
	term = make_statement(account.student.name, "2027-04-01", "2027-06-30")

	vouchers = [row.voucher for row in term["rows"]]
	assert vouchers == [
		account.april.name,
		account.deposit.name,
		account.first_receipt.name,
		account.may.name,
		account.concession.name,
		account.applied_credit.name,
		account.second_receipt.name,
		account.june.name,
		account.applied_deposit.name,
		account.refund.name,
	]
	assert account.wrong.name not in vouchers and account.sibling_invoice.name not in vouchers
	by_voucher = {row.voucher: row for row in term["rows"]}
	deposit = by_voucher[account.deposit.name]
	assert (deposit.debit, deposit.credit, deposit.deposit, deposit.deposit_balance) == (
		D(0),
		D(0),
		D(500),
		D(500),
	)
	assert deposit.description == "Security deposit received"
	applied = by_voucher[account.applied_deposit.name]
	assert (applied.credit, applied.deposit, applied.deposit_balance) == (D(200), D(-200), D(300))
	refund = by_voucher[account.refund.name]
	assert (refund.debit, refund.credit, refund.balance) == (D(100), D(0), D(500))

	assert term["opening_balance"] == D(0)
	# June: 1,000 less the 200 of deposit = 800 owed; credit 400 less the 100 refunded = 300
	assert (term["closing_balance"], term["closing_deposit"]) == (D(500), D(300))
	assert (term["closing_balance"], term["closing_deposit"]) == ledger_balance(
		account.student.name, "2027-06-30"
	)
	assert term["total_debit"] - term["total_credit"] == term["closing_balance"]
	running = term["opening_balance"]
	for row in term["rows"]:
		running += row.debit - row.credit
		assert row.balance == running


def test_a_statement_needs_read_on_the_student_and_a_valid_period(company, account):
	with pytest.raises(StatementPeriodError):
		make_statement(account.student.name, "2027-06-30", "2027-04-01")
	teacher = make_user("Class Teacher")
	section = make_class_section(company, grade=make_grade().name, class_teacher=teacher).name
	frappe.set_user(teacher)
	with pytest.raises(frappe.PermissionError):
		make_statement(account.student.name, "2027-04-01", "2027-06-30")
	frappe.set_user("Administrator")
	frappe.db.set_value("Student", account.student.name, "class_section", section)
	frappe.set_user(teacher)
	assert make_statement(account.student.name, "2027-04-01", "2027-06-30")["closing_balance"] == D(500)


def test_the_pdf_lists_every_line_and_the_balances(company, account):
	statement = make_statement(account.student.name, "2027-05-01", "2027-06-30")
	pdf = statement_pdf(statement)

	assert pdf[:5] == b"%PDF-"
	text = pdf_text(pdf)
	assert "Statement of Account" in text and account.student.student_name in text
	for row in statement["rows"]:
		assert row.voucher in text
	assert "2,000.00" in text and "2,500.00" in text  # the May invoice and receipt
	assert "DEPOSIT HELD" in text.upper()


def test_the_statement_is_emailed_to_the_guardian_with_the_pdf(company, account, outgoing_mail):
	manager = make_user("Fees Manager")
	frappe.set_user(manager)
	sent = email_statement(account.student.name, "2027-05-01", "2027-05-31")
	frappe.set_user("Administrator")

	assert sent["recipient"] == "asha@school-fees.invalid"
	queue = frappe.get_doc("Email Queue", sent["email_queue"])
	assert [r.recipient for r in queue.recipients] == ["asha@school-fees.invalid"]
	assert (queue.reference_doctype, queue.reference_name) == ("Student", account.student.name)
	[attachment] = json.loads(queue.attachments)
	file = frappe.get_doc("File", attachment["fid"])
	assert (file.attached_to_doctype, file.attached_to_name, file.is_private) == (
		"Student",
		account.student.name,
		1,
	)
	assert file.file_url == sent["file_url"] and file.get_content()[:5] == b"%PDF-"
	assert frappe.get_all(
		"Fee Audit Log",
		filters={
			"reference_doctype": "Student",
			"reference_name": account.student.name,
			"action": "Statement",
		},
		pluck="user",
	) == [manager]

	nobody = make_student(company, guardian_email="")
	with pytest.raises(StatementRecipientError):
		email_statement(nobody.name, "2027-05-01", "2027-05-31")
	frappe.set_user(make_user("Fee Cashier"))  # reads students, does not write to families
	with pytest.raises(frappe.PermissionError):
		email_statement(account.student.name, "2027-05-01", "2027-05-31")


def test_a_class_section_in_one_background_job(company, head, outgoing_mail, monkeypatch):
	section = make_class_section(company, grade=make_grade().name).name
	with_email = make_student(company, class_section=section, guardian_email="one@school-fees.invalid")
	without = make_student(company, class_section=section, guardian_email="")
	make_student(company, class_section=section, status="Inactive", guardian_email="gone@school-fees.invalid")
	invoice(company, with_email, head, 1500, "2027-05-03")
	invoice(company, without, head, 900, "2027-05-04")
	queued = []
	monkeypatch.setattr(frappe, "enqueue", lambda method, **kwargs: queued.append((method, kwargs)))

	assert send_class_statements(section, "2027-05-01", "2027-05-31") == {
		"queued": True,
		"job_id": queued[0][1]["job_id"],
		"count": 2,
	}
	[(method, kwargs)] = queued
	assert method == "school_fees.statements.run_class_statements" and kwargs["queue"] == "long"
	progress = []
	monkeypatch.setattr(frappe, "publish_progress", lambda percent, **kwargs: progress.append(percent))

	result = run_class_statements(kwargs["class_section"], kwargs["from_date"], kwargs["to_date"])

	assert result["emailed"] == [with_email.name]
	assert result["not_emailed"] == {without.name: "The guardian has no email address."}
	assert result["failed"] == {} and progress[-1] == 100
	merged = frappe.get_doc("File", {"file_url": result["file_url"]})
	assert (merged.attached_to_doctype, merged.attached_to_name) == ("Class Section", section)
	text = pdf_text(merged.get_content())
	assert with_email.student_name in text and without.student_name in text
	assert "1,500.00" in text and "900.00" in text
	assert frappe.db.exists(
		"Notification Log",
		{"document_name": section, "subject": ("like", "%1 emailed, 1 not emailed, 0 failed")},
	)


def test_last_month_is_the_default_period(monkeypatch):
	monkeypatch.setattr(statements, "nowdate", lambda: "2027-03-15")
	assert statements.last_month() == (getdate("2027-02-01"), getdate("2027-02-28"))
	monkeypatch.setattr(statements, "nowdate", lambda: "2027-01-05")
	assert statements.last_month() == (getdate("2026-12-01"), getdate("2026-12-31"))
