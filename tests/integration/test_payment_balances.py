"""Student balance API: invoiced, paid, outstanding, open credit and deposits held, from the ledger,
as of a date, per student or per family customer; and the Fee Receipt print format."""

import pytest
from factories import (
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
	make_user,
)
from payment_helpers import D, asset_manifest_stand_in

import frappe

from school_fees.ledger.balances import get_balance, get_student_balance


def fee_invoice(company, student, amount, posting_date):
	head = make_fee_head(company=company).name
	return make_fee_invoice(
		company, student.name, items=[(head, amount)], posting_date=posting_date, submit=True
	)


def figures(balance):
	return {key: balance[key] for key in ("invoiced", "paid", "outstanding", "open_credit", "deposit_held")}


def test_balance_of_a_student_and_of_the_family(company):
	student = make_student(company)
	sibling = make_student(company, customer=student.customer)
	fee_invoice(company, student, 600, "2027-04-01")
	fee_invoice(company, student, 400, "2027-05-01")
	fee_invoice(company, sibling, 300, "2027-04-01")
	make_payment_allocation(
		company, student.customer, paid_amount=700, posting_date="2027-04-10", student=student.name
	)
	make_credit_note(company, student.name, amount=50, posting_date="2027-05-02")
	deposit = make_deposit(company, student.name, amount=1000, posting_date="2027-04-02")
	make_payment_allocation(
		company,
		student.customer,
		"Refund",
		paid_amount=250,
		source_doctype="Deposit",
		source_name=deposit.name,
		posting_date="2027-05-20",
	)

	# the April receipt pays April only (May was not issued yet); 100 stays as credit
	assert figures(get_balance(student=student.name, as_of="2027-06-30")) == {
		"invoiced": D(1000),
		"paid": D(600),
		"outstanding": D(400),
		"open_credit": D(150),
		"deposit_held": D(750),
	}
	assert figures(get_balance(student=student.name, as_of="2027-04-30")) == {
		"invoiced": D(600),
		"paid": D(600),
		"outstanding": D(0),
		"open_credit": D(100),
		"deposit_held": D(1000),
	}
	family = get_balance(customer=student.customer, as_of="2027-06-30")
	assert figures(family)["invoiced"] == D(1300) and figures(family)["outstanding"] == D(700)
	assert figures(get_balance(student=sibling.name, as_of="2027-06-30"))["outstanding"] == D(300)


def test_whitelisted_balance_returns_floats_and_checks_permission(company):
	student = make_student(company)
	fee_invoice(company, student, 600, "2027-04-01")
	balance = get_student_balance(student=student.name, as_of="2027-06-30")
	assert balance["invoiced"] == 600.0 and isinstance(balance["invoiced"], float)

	frappe.set_user(make_user("Class Teacher"))
	with pytest.raises(frappe.PermissionError):
		get_student_balance(customer=student.customer)


def test_fee_receipt_print_format(company):
	student = make_student(company)
	april = fee_invoice(company, student, 540, "2027-04-01")
	receipt = make_payment_allocation(
		company, student.customer, paid_amount=600, posting_date="2027-04-05", reference_no="UPI-42"
	)
	with asset_manifest_stand_in():
		html = frappe.get_print("Payment Allocation", receipt.name, print_format="Fee Receipt")
	for text in (receipt.name, student.customer, "Cash", "UPI-42", april.name, "540.00", "600.00", "60.00"):
		assert text in html, text
