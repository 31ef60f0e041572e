"""The app's vouchers write their GL and Payment Ledger rows directly when ERPNext would take them as
they are (ledger.posting.post). Pinned here: for every kind of voucher the direct write leaves
exactly the rows ERPNext's make_gl_entries leaves for a twin voucher, column for column; and where
ERPNext must speak (a closed accounting period), the voucher goes through ERPNext and is refused."""

import pytest
from factories import (
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
)
from test_billing_run_bulk import rows

import frappe

from school_fees.ledger import posting


@pytest.fixture
def through_erpnext():
	"""Run a block with the direct write switched off (ERPNext's make_gl_entries posts)."""

	class Switch:
		def __enter__(self):
			frappe.flags.school_fees_through_erpnext = True

		def __exit__(self, *exc):
			frappe.flags.school_fees_through_erpnext = False

	yield Switch()
	frappe.flags.school_fees_through_erpnext = False


def ledger_rows(doctype: str, name: str, aliases: dict[str, str]) -> dict[str, list[dict]]:
	voucher = {"voucher_type": doctype, "voucher_no": name}
	children = frappe.get_all(
		"Payment Allocation Item", filters={"parent": name}, fields=["name", "idx"], order_by="idx"
	)
	aliases = {name: "<VOUCHER>", **{row.name: f"<ROW {row.idx}>" for row in children}, **aliases}
	return {
		"GL Entry": rows("GL Entry", voucher, aliases, ("account", "debit", "credit", "against_voucher")),
		"Payment Ledger Entry": rows("Payment Ledger Entry", voucher, aliases, ("account", "amount")),
	}


def assert_same_rows(direct: tuple, erpnext: tuple, aliases: dict[str, str] | None = None):
	(doctype, direct_name), (_doctype, erpnext_name) = direct, erpnext
	written = ledger_rows(doctype, direct_name, aliases or {})
	expected = ledger_rows(doctype, erpnext_name, aliases or {})
	assert written["GL Entry"], f"{doctype} {direct_name} wrote no GL"
	for table, table_rows in written.items():
		assert len(table_rows) == len(expected[table]), table
		for got, want in zip(table_rows, expected[table], strict=True):
			differing = {
				key: (got.get(key), want.get(key))
				for key in got.keys() | want.keys()
				if got.get(key) != want.get(key)
			}
			assert not differing, (table, differing)


def invoice(company, student, amount=1000, discount=0):
	head = make_fee_head(company=company).name
	return make_fee_invoice(
		company, student.name, items=[(head, amount, discount)], posting_date="2027-04-01", submit=True
	)


def test_a_fee_invoice_writes_what_erpnext_writes(company, through_erpnext):
	student = make_student(company)
	head = make_fee_head(company=company).name
	direct = make_fee_invoice(company, student.name, items=[(head, 1234.56, 34.56)], submit=True)
	with through_erpnext:
		erpnext = make_fee_invoice(company, student.name, items=[(head, 1234.56, 34.56)], submit=True)
	assert_same_rows(("Fee Invoice", direct.name), ("Fee Invoice", erpnext.name))


def test_a_receipt_with_a_remainder_writes_what_erpnext_writes(company, through_erpnext):
	student = make_student(company)
	first, second = invoice(company, student, 700), invoice(company, student, 700)
	direct = make_payment_allocation(
		company, student.customer, paid_amount=900, allocations=[(first.name, 700)]
	)
	with through_erpnext:
		erpnext = make_payment_allocation(
			company, student.customer, paid_amount=900, allocations=[(second.name, 700)]
		)
	assert_same_rows(
		("Payment Allocation", direct.name),
		("Payment Allocation", erpnext.name),
		{first.name: "<INVOICE>", second.name: "<INVOICE>"},
	)
	assert posting.writes_directly(direct, direct.get_gl_entries())  # the fast path was the one taken
	assert frappe.db.get_value("Fee Invoice", first.name, "status") == "Paid"
	assert frappe.db.get_value("Payment Allocation", direct.name, "remaining_amount") == 200


def test_credit_notes_deposits_and_their_use_write_what_erpnext_writes(company, through_erpnext):
	student = make_student(company)
	direct_note = make_credit_note(company, student.name, amount=250)
	direct_deposit = make_deposit(company, student.name, amount=800)
	with through_erpnext:
		erpnext_note = make_credit_note(company, student.name, amount=250)
		erpnext_deposit = make_deposit(company, student.name, amount=800)
	assert_same_rows(("Credit Note", direct_note.name), ("Credit Note", erpnext_note.name))
	assert_same_rows(("Deposit", direct_deposit.name), ("Deposit", erpnext_deposit.name))

	first, second = invoice(company, student, 300), invoice(company, student, 300)
	used = {}
	for deposit, target, erpnext_path in ((direct_deposit, first, False), (erpnext_deposit, second, True)):
		frappe.flags.school_fees_through_erpnext = erpnext_path
		used[erpnext_path] = make_payment_allocation(
			company,
			student.customer,
			"Apply Deposit",
			source_doctype="Deposit",
			source_name=deposit.name,
			allocations=[(target.name, 300)],
		)
	frappe.flags.school_fees_through_erpnext = False
	assert_same_rows(
		("Payment Allocation", used[False].name),
		("Payment Allocation", used[True].name),
		{
			first.name: "<INVOICE>",
			second.name: "<INVOICE>",
			direct_deposit.name: "<DEPOSIT>",
			erpnext_deposit.name: "<DEPOSIT>",
		},
	)
	assert frappe.db.get_value("Deposit", direct_deposit.name, "remaining_amount") == 500


def test_a_closed_period_sends_the_voucher_through_erpnext_which_refuses_it(company):
	student = make_student(company)
	note = make_credit_note(company, student.name, amount=100, posting_date="2027-06-10", submit=False)
	frappe.get_doc(
		{
			"doctype": "Accounting Period",
			"period_name": f"Closed {frappe.generate_hash(length=6)}",
			"company": company,
			"start_date": "2027-06-01",
			"end_date": "2027-06-30",
			"closed_documents": [{"document_type": "Credit Note", "closed": 1}],
		}
	).insert()
	assert not posting.writes_directly(note, note.get_gl_entries())
	with pytest.raises(frappe.ValidationError, match="closed Accounting Period"):
		note.submit()
	frappe.clear_messages()
