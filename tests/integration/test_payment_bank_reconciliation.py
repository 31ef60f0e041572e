"""Receipts and deposits paid into a bank account are found by ERPNext's Bank Reconciliation Tool
(through the get_matching_queries hook), and matching them sets their clearance date."""

import json

import pytest
from factories import make_deposit, make_payment_allocation, make_student, unique

import frappe

from erpnext.accounts.doctype.bank_reconciliation_tool.bank_reconciliation_tool import (
	check_matching,
	get_linked_payments,
	reconcile_vouchers,
)

DOCUMENT_TYPES = ["payment_allocation", "deposit"]


@pytest.fixture
def bank(company):
	"""A bank GL account (account type Bank) and the company's Bank Account on it."""
	account = frappe.get_doc(
		{
			"doctype": "Account",
			"company": company,
			"account_name": unique("School Bank"),
			"parent_account": frappe.db.get_value(
				"Account", {"company": company, "account_type": "Bank", "is_group": 1}
			),
			"account_type": "Bank",
			"is_group": 0,
		}
	).insert()
	bank_name = frappe.get_doc({"doctype": "Bank", "bank_name": unique("Bank")}).insert().name
	bank_account = frappe.get_doc(
		{
			"doctype": "Bank Account",
			"account_name": unique("Current"),
			"bank": bank_name,
			"account": account.name,
			"is_company_account": 1,
			"company": company,
		}
	).insert()
	return frappe._dict(gl_account=account.name, bank_account=bank_account.name)


def bank_transaction(bank, deposit=0, withdrawal=0, reference="", date="2027-04-06"):
	bt = frappe.get_doc(
		{
			"doctype": "Bank Transaction",
			"date": date,
			"bank_account": bank.bank_account,
			"deposit": deposit,
			"withdrawal": withdrawal,
			"currency": "INR",
			"reference_number": reference,
			"description": "School fee",
		}
	)
	bt.insert()
	bt.submit()
	return bt


def test_receipt_into_the_bank_is_matched_and_cleared(company, bank):
	student = make_student(company)
	receipt = make_payment_allocation(
		company,
		student.customer,
		paid_amount=540,
		paid_to=bank.gl_account,
		reference_no="CHQ-5401",
		reference_date="2027-04-05",
	)
	other = make_payment_allocation(company, student.customer, paid_amount=100, paid_to=bank.gl_account)
	bt = bank_transaction(bank, deposit=540, reference="CHQ-5401")

	matches = check_matching(bank.gl_account, company, bt, DOCUMENT_TYPES, "2027-04-01", "2027-04-30")
	assert [(m["doctype"], m["name"], m["rank"]) for m in matches[:2]] == [
		("Payment Allocation", receipt.name, 3),
		("Payment Allocation", other.name, 1),
	]
	assert matches[0]["paid_amount"] == 540 and matches[0]["party"] == student.customer

	linked = get_linked_payments(bt.name, DOCUMENT_TYPES, "2027-04-01", "2027-04-30")
	assert receipt.name in [m["name"] for m in linked]

	reconcile_vouchers(
		bt.name,
		json.dumps([{"payment_doctype": "Payment Allocation", "payment_name": receipt.name, "amount": 540}]),
	)
	assert str(frappe.db.get_value("Payment Allocation", receipt.name, "clearance_date")) == "2027-04-06"
	assert frappe.db.get_value("Bank Transaction", bt.name, "status") == "Reconciled"

	again = check_matching(bank.gl_account, company, bt, DOCUMENT_TYPES, "2027-04-01", "2027-04-30")
	assert receipt.name not in [m["name"] for m in again]


def test_deposit_into_the_bank_is_matched_and_cleared(company, bank):
	student = make_student(company)
	deposit = make_deposit(
		company, student.name, amount=2500, paid_to=bank.gl_account, reference_no="NEFT-77"
	)
	bt = bank_transaction(bank, deposit=2500, reference="NEFT-77")

	matches = check_matching(
		bank.gl_account, company, bt, ["deposit", "exact_match"], "2027-04-01", "2027-04-30"
	)
	assert [(m["doctype"], m["name"], m["rank"]) for m in matches] == [("Deposit", deposit.name, 3)]

	reconcile_vouchers(
		bt.name, json.dumps([{"payment_doctype": "Deposit", "payment_name": deposit.name, "amount": 2500}])
	)
	assert str(frappe.db.get_value("Deposit", deposit.name, "clearance_date")) == "2027-04-06"


def test_refund_matches_a_withdrawal_and_cancel_unmatches(company, bank):
	student = make_student(company)
	deposit = make_deposit(company, student.name, amount=800)
	refund = make_payment_allocation(
		company,
		student.customer,
		"Refund",
		paid_amount=800,
		paid_to=bank.gl_account,
		source_doctype="Deposit",
		source_name=deposit.name,
		reference_no="REF-800",
	)
	bt = bank_transaction(bank, withdrawal=800, reference="REF-800")
	matches = check_matching(bank.gl_account, company, bt, DOCUMENT_TYPES, "2027-04-01", "2027-04-30")
	assert [(m["doctype"], m["name"]) for m in matches] == [("Payment Allocation", refund.name)]

	reconcile_vouchers(
		bt.name,
		json.dumps([{"payment_doctype": "Payment Allocation", "payment_name": refund.name, "amount": 800}]),
	)
	refund.reload()
	refund.cancel()
	bt.reload()
	assert bt.payment_entries == [] and bt.status == "Unreconciled"
