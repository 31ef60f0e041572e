"""Deposits on the real site: GL on the liability with the party and no Payment Ledger, used for
invoices, moved to credit, refunded, remaining amount and history from the ledger."""

import pytest
from factories import make_deposit, make_fee_head, make_fee_invoice, make_payment_allocation, make_student
from payment_helpers import D, accounts, gl_rows, invoice_state, remaining

import frappe

from school_fees.payments.allocation import CreditSourceError, OverAllocationError
from school_fees.payments.deposits import deposit_history
from school_fees.school_fees.doctype.deposit.deposit import DepositError

CASH = "Cash - _TS"


@pytest.fixture
def student(company):
	return make_student(company)


def use(company, student, deposit, allocation_type, **kwargs):
	return make_payment_allocation(
		company,
		student.customer,
		allocation_type,
		source_doctype="Deposit",
		source_name=deposit.name,
		**kwargs,
	)


def test_deposit_gl_on_the_liability_with_party_and_no_payment_ledger(company, student):
	deposit = make_deposit(company, student.name, amount=1000, deposit_type="Registration")
	settings = accounts(company)
	assert deposit.customer == student.customer and deposit.deposit_account == settings.deposit_account
	assert frappe.db.get_value("Account", settings.deposit_account, "account_type") in (None, "")
	assert gl_rows("Deposit", deposit.name) == sorted(
		[
			(CASH, D(1000), D(0), None, None, None),
			(settings.deposit_account, D(0), D(1000), student.customer, "Deposit", deposit.name),
		]
	)
	assert not frappe.get_all("Payment Ledger Entry", filters={"voucher_no": deposit.name})
	assert remaining("Deposit", deposit.name) == D(1000)


def test_deposit_used_transferred_and_refunded(company, student):
	deposit = make_deposit(company, student.name, amount=1000, deposit_type="Security")
	inv = make_fee_invoice(
		company,
		student.name,
		items=[(make_fee_head(company=company).name, 300)],
		posting_date="2027-04-01",
		submit=True,
	)

	used = use(company, student, deposit, "Apply Deposit")
	assert invoice_state(inv.name)[2] == "Paid"
	assert remaining("Deposit", deposit.name) == D(700)

	moved = use(company, student, deposit, "Deposit to Credit", paid_amount=200)
	assert remaining("Deposit", deposit.name) == D(500)
	assert remaining("Payment Allocation", moved.name) == D(200)

	refunded = use(company, student, deposit, "Refund", paid_amount=500, mode_of_payment="Cash")
	assert remaining("Deposit", deposit.name) == D(0)

	history = deposit_history(deposit.name)
	assert [(row.kind, D(row.amount), row.voucher) for row in history] == [
		("Issued", D(1000), None),
		("Used", D(300), used.name),
		("Transferred to credit", D(200), moved.name),
		("Refunded", D(500), refunded.name),
	]
	liability = frappe.get_all(
		"GL Entry",
		filters={
			"account": accounts(company).deposit_account,
			"against_voucher": deposit.name,
			"is_cancelled": 0,
		},
		fields=["sum(credit) - sum(debit) as balance"],
	)[0].balance
	assert D(liability) == D(0)

	with pytest.raises(OverAllocationError, match=r"has only 0.00 available"):
		use(company, student, deposit, "Refund", paid_amount=1, mode_of_payment="Cash")


def test_history_is_sent_to_the_form(company, student):
	deposit = make_deposit(company, student.name, amount=100)
	doc = frappe.get_doc("Deposit", deposit.name)
	doc.run_method("onload")
	assert [row.kind for row in doc.get_onload().history] == ["Issued"]


def test_cancel_reverses_and_is_refused_while_used(company, student):
	deposit = make_deposit(company, student.name, amount=500)
	moved = use(company, student, deposit, "Deposit to Credit", paid_amount=100)
	with pytest.raises(CreditSourceError, match=moved.name):
		deposit.cancel()

	moved.cancel()
	assert remaining("Deposit", deposit.name) == D(500)
	deposit.reload()
	deposit.cancel()
	assert gl_rows("Deposit", deposit.name) == []
	assert remaining("Deposit", deposit.name) == D(0)


def test_amount_must_be_positive(company, student):
	with pytest.raises(DepositError):
		make_deposit(company, student.name, amount=0)
