"""Payment Allocation on the real site: receipts allocated oldest due first, the seed's worked
example to the cent, every allocation type's GL, over-allocation, cancel and restore."""

import pytest
from factories import (
	make_academic_term,
	make_credit_note,
	make_deposit,
	make_fee_discount,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_generated_invoices,
	make_payment_allocation,
	make_student,
)
from payment_helpers import (
	D,
	accounts,
	assert_voucher_balances,
	gl_rows,
	invoice_state,
	ple_rows,
	remaining,
)

import frappe

from school_fees.payments.allocation import CreditSourceError, OverAllocationError, PaymentAllocationError

CASH = "Cash - _TS"


@pytest.fixture
def student(company):
	return make_student(company)


def invoice(company, student, amount, posting_date="2027-04-01", due_date=None, discount=0):
	head = make_fee_head(company=company).name
	return make_fee_invoice(
		company,
		student.name,
		items=[(head, amount, discount)],
		posting_date=posting_date,
		due_date=due_date or posting_date,
		submit=True,
	)


# ---------------------------------------------------------------- seed 003, the worked example


def test_seed_003_alex_stone_two_receipts_across_april_and_may(company):
	"""April 600 - 10% = 540, May 680 - 10% = 612 (generated from a fee structure with a 10% student
	discount); 324 paid on Apr 05, then 520 on May 13 auto-allocated 216 to April and 304 to May."""
	april_head, may_head = make_fee_head(company=company).name, make_fee_head(company=company).name
	structure = make_fee_structure(
		company,
		components={april_head: 600, may_head: 680},
		installments=[("April", "2027-04-01", "2027-04-15", 50), ("May", "2027-05-01", "2027-05-15", 50)],
		component_shares=[
			("April", april_head, 100),
			("May", april_head, 0),
			("April", may_head, 0),
			("May", may_head, 100),
		],
		academic_term=make_academic_term(start_date="2027-04-01", end_date="2028-03-31").name,
	)
	discount = make_fee_discount("Percentage", 10, company=company)
	alex = make_student(company, discounts=[discount.name])
	[april] = make_generated_invoices(alex.name, structure.name, installment="April", submit=True)
	assert D(april.grand_total) == D(540)

	first = make_payment_allocation(company, alex.customer, paid_amount=324, posting_date="2027-04-05")
	assert [(r.fee_invoice, D(r.allocated_amount)) for r in first.allocations] == [(april.name, D(324))]
	assert invoice_state(april.name) == (D(216), D(324), "Partially Paid")

	[may] = make_generated_invoices(alex.name, structure.name, installment="May", submit=True)
	assert D(may.grand_total) == D(612)

	second = make_payment_allocation(company, alex.customer, paid_amount=520, posting_date="2027-05-13")
	assert [(r.fee_invoice, D(r.allocated_amount)) for r in second.allocations] == [
		(april.name, D(216)),
		(may.name, D(304)),
	]
	assert D(second.total_allocated) == D(520) and D(second.unallocated_amount) == 0
	assert invoice_state(april.name) == (D(0), D(540), "Paid")
	assert invoice_state(may.name) == (D(308), D(304), "Partially Paid")

	receivable = accounts(company).receivable_account
	assert gl_rows("Payment Allocation", second.name) == sorted(
		[
			(CASH, D(520), D(0), None, None, None),
			(receivable, D(0), D(216), alex.customer, "Fee Invoice", april.name),
			(receivable, D(0), D(304), alex.customer, "Fee Invoice", may.name),
		]
	)
	assert ple_rows("Payment Allocation", second.name) == sorted(
		[
			(receivable, alex.customer, "Fee Invoice", april.name, D(-216)),
			(receivable, alex.customer, "Fee Invoice", may.name, D(-304)),
		]
	)
	received = frappe.get_all(
		"Payment Allocation",
		filters={"customer": alex.customer, "docstatus": 1, "allocation_type": "Receipt"},
		pluck="paid_amount",
	)
	assert sum(D(x) for x in received) == D(844)


# ---------------------------------------------------------------- receipts


def test_receipt_remainder_stays_as_open_credit_against_the_receipt(company, student):
	inv = invoice(company, student, 400)
	receipt = make_payment_allocation(company, student.customer, paid_amount=500)
	receivable = accounts(company).receivable_account

	assert D(receipt.total_allocated) == D(400) and D(receipt.unallocated_amount) == D(100)
	assert gl_rows("Payment Allocation", receipt.name) == sorted(
		[
			(CASH, D(500), D(0), None, None, None),
			(receivable, D(0), D(400), student.customer, "Fee Invoice", inv.name),
			(receivable, D(0), D(100), student.customer, "Payment Allocation", receipt.name),
		]
	)
	assert invoice_state(inv.name) == (D(0), D(400), "Paid")
	assert remaining("Payment Allocation", receipt.name) == D(100)


def test_receipt_fills_oldest_due_first_and_only_for_the_given_student(company, student):
	sibling = make_student(company, customer=student.customer)
	late_due = invoice(company, student, 100, posting_date="2027-04-01", due_date="2027-06-30")
	early_due = invoice(company, student, 100, posting_date="2027-04-10", due_date="2027-04-20")
	siblings = invoice(company, sibling, 100, posting_date="2027-03-01", due_date="2027-03-10")

	receipt = make_payment_allocation(
		company, student.customer, paid_amount=150, student=student.name, posting_date="2027-04-15"
	)
	assert [(r.fee_invoice, D(r.allocated_amount)) for r in receipt.allocations] == [
		(early_due.name, D(100)),
		(late_due.name, D(50)),
	]
	assert invoice_state(siblings.name)[0] == D(100)

	family = make_payment_allocation(company, student.customer, paid_amount=60, posting_date="2027-04-15")
	assert [(r.fee_invoice, D(r.allocated_amount)) for r in family.allocations] == [(siblings.name, D(60))]


def test_rows_edited_by_hand_are_kept(company, student):
	first, second = invoice(company, student, 300), invoice(company, student, 300, due_date="2027-05-01")
	receipt = make_payment_allocation(
		company, student.customer, paid_amount=300, allocations=[(second.name, 200), (first.name, 50)]
	)
	assert invoice_state(first.name)[:2] == (D(250), D(50))
	assert invoice_state(second.name)[:2] == (D(100), D(200))
	assert D(receipt.unallocated_amount) == D(50)


def test_mode_of_payment_sets_paid_to(company, student):
	receipt = make_payment_allocation(company, student.customer, paid_amount=10, submit=False)
	assert receipt.paid_to == CASH


# ---------------------------------------------------------------- refused


def test_allocation_above_outstanding_is_refused_naming_invoice_and_amounts(company, student):
	inv = invoice(company, student, 300)
	with pytest.raises(OverAllocationError) as error:
		make_payment_allocation(company, student.customer, paid_amount=400, allocations=[(inv.name, 350)])
	assert inv.name in str(error.value) and "350.00" in str(error.value) and "300.00" in str(error.value)


def test_allocations_above_the_receipt_are_refused(company, student):
	first, second = invoice(company, student, 300), invoice(company, student, 300)
	with pytest.raises(OverAllocationError, match=r"600\.00.*500\.00"):
		make_payment_allocation(
			company, student.customer, paid_amount=500, allocations=[(first.name, 300), (second.name, 300)]
		)


def test_same_invoice_twice_in_one_allocation_is_refused(company, student):
	inv = invoice(company, student, 300)
	with pytest.raises(OverAllocationError, match="more than once"):
		make_payment_allocation(
			company, student.customer, paid_amount=200, allocations=[(inv.name, 100), (inv.name, 100)]
		)


def test_invoice_of_another_customer_is_refused(company, student):
	other = invoice(company, make_student(company), 300)
	with pytest.raises(PaymentAllocationError, match=other.name):
		make_payment_allocation(company, student.customer, paid_amount=100, allocations=[(other.name, 100)])


def test_paid_invoice_cannot_be_paid_again(company, student):
	inv = invoice(company, student, 300)
	make_payment_allocation(company, student.customer, paid_amount=300, allocations=[(inv.name, 300)])
	with pytest.raises(OverAllocationError, match=r"exceeds its outstanding amount \(0.00\)"):
		make_payment_allocation(company, student.customer, paid_amount=300, allocations=[(inv.name, 300)])


def test_submitting_a_stale_draft_rechecks_against_the_ledger(company, student):
	"""A draft saved while the invoice owed 300 cannot be submitted after another receipt paid it."""
	inv = invoice(company, student, 300)
	draft = make_payment_allocation(company, student.customer, paid_amount=300, submit=False)
	make_payment_allocation(company, student.customer, paid_amount=300, allocations=[(inv.name, 300)])
	with pytest.raises(OverAllocationError, match=inv.name):
		draft.submit()


# ---------------------------------------------------------------- every type's GL


def test_apply_credit_from_credit_note_gl(company, student):
	inv = invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=250)
	applied = make_payment_allocation(
		company, student.customer, "Apply Credit", source_doctype="Credit Note", source_name=note.name
	)
	receivable = accounts(company).receivable_account
	assert D(applied.paid_amount) == D(250)
	assert gl_rows("Payment Allocation", applied.name) == sorted(
		[
			(receivable, D(250), D(0), student.customer, "Credit Note", note.name),
			(receivable, D(0), D(250), student.customer, "Fee Invoice", inv.name),
		]
	)
	assert invoice_state(inv.name) == (D(50), D(250), "Partially Paid")
	assert remaining("Credit Note", note.name) == D(0)


def test_apply_credit_from_a_receipt_remainder(company, student):
	receipt = make_payment_allocation(company, student.customer, paid_amount=200)
	assert remaining("Payment Allocation", receipt.name) == D(200)
	inv = invoice(company, student, 300)
	applied = make_payment_allocation(
		company,
		student.customer,
		"Apply Credit",
		source_doctype="Payment Allocation",
		source_name=receipt.name,
		allocations=[(inv.name, 120)],
	)
	receivable = accounts(company).receivable_account
	assert gl_rows("Payment Allocation", applied.name) == sorted(
		[
			(receivable, D(120), D(0), student.customer, "Payment Allocation", receipt.name),
			(receivable, D(0), D(120), student.customer, "Fee Invoice", inv.name),
		]
	)
	assert remaining("Payment Allocation", receipt.name) == D(80)
	assert invoice_state(inv.name)[0] == D(180)


def test_apply_deposit_gl(company, student):
	inv = invoice(company, student, 300)
	deposit = make_deposit(company, student.name, amount=1000)
	applied = make_payment_allocation(
		company, student.customer, "Apply Deposit", source_doctype="Deposit", source_name=deposit.name
	)
	settings = accounts(company)
	assert gl_rows("Payment Allocation", applied.name) == sorted(
		[
			(settings.deposit_account, D(300), D(0), student.customer, "Deposit", deposit.name),
			(settings.receivable_account, D(0), D(300), student.customer, "Fee Invoice", inv.name),
		]
	)
	assert invoice_state(inv.name)[2] == "Paid"
	assert remaining("Deposit", deposit.name) == D(700)


def test_refund_of_open_credit_gl(company, student):
	note = make_credit_note(company, student.name, amount=250)
	refund = make_payment_allocation(
		company,
		student.customer,
		"Refund",
		paid_amount=100,
		source_doctype="Credit Note",
		source_name=note.name,
	)
	receivable = accounts(company).receivable_account
	assert gl_rows("Payment Allocation", refund.name) == sorted(
		[
			(receivable, D(100), D(0), student.customer, "Credit Note", note.name),
			(CASH, D(0), D(100), None, None, None),
		]
	)
	assert remaining("Credit Note", note.name) == D(150)


def test_refund_of_deposit_gl(company, student):
	deposit = make_deposit(company, student.name, amount=1000)
	refund = make_payment_allocation(
		company,
		student.customer,
		"Refund",
		paid_amount=1000,
		source_doctype="Deposit",
		source_name=deposit.name,
	)
	settings = accounts(company)
	assert gl_rows("Payment Allocation", refund.name) == sorted(
		[
			(settings.deposit_account, D(1000), D(0), student.customer, "Deposit", deposit.name),
			(CASH, D(0), D(1000), None, None, None),
		]
	)
	assert remaining("Deposit", deposit.name) == D(0)


def test_deposit_to_credit_gl_and_the_credit_is_usable(company, student):
	deposit = make_deposit(company, student.name, amount=500)
	moved = make_payment_allocation(
		company,
		student.customer,
		"Deposit to Credit",
		paid_amount=200,
		source_doctype="Deposit",
		source_name=deposit.name,
	)
	settings = accounts(company)
	assert gl_rows("Payment Allocation", moved.name) == sorted(
		[
			(settings.deposit_account, D(200), D(0), student.customer, "Deposit", deposit.name),
			(settings.receivable_account, D(0), D(200), student.customer, "Payment Allocation", moved.name),
		]
	)
	assert remaining("Deposit", deposit.name) == D(300)
	assert remaining("Payment Allocation", moved.name) == D(200)

	inv = invoice(company, student, 150)
	make_payment_allocation(
		company, student.customer, "Apply Credit", source_doctype="Payment Allocation", source_name=moved.name
	)
	assert invoice_state(inv.name)[2] == "Paid"
	assert remaining("Payment Allocation", moved.name) == D(50)


# ---------------------------------------------------------------- sources refused


def test_credit_cannot_be_used_twice(company, student):
	first, second = invoice(company, student, 300), invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=250)
	make_payment_allocation(
		company,
		student.customer,
		"Apply Credit",
		source_doctype="Credit Note",
		source_name=note.name,
		allocations=[(first.name, 200)],
	)
	with pytest.raises(OverAllocationError, match=rf"{note.name} has only 50.00 available; 100.00"):
		make_payment_allocation(
			company,
			student.customer,
			"Apply Credit",
			source_doctype="Credit Note",
			source_name=note.name,
			allocations=[(second.name, 100)],
		)


def test_refund_above_deposit_held_is_refused(company, student):
	deposit = make_deposit(company, student.name, amount=100)
	with pytest.raises(OverAllocationError, match=r"has only 100\.00 available; 150\.00"):
		make_payment_allocation(
			company,
			student.customer,
			"Refund",
			paid_amount=150,
			source_doctype="Deposit",
			source_name=deposit.name,
		)


def test_credit_of_another_customer_is_refused(company, student):
	note = make_credit_note(company, make_student(company).name, amount=100)
	with pytest.raises(CreditSourceError, match="not of"):
		make_payment_allocation(
			company, student.customer, "Apply Credit", source_doctype="Credit Note", source_name=note.name
		)


def test_wrong_source_type_is_refused(company, student):
	note = make_credit_note(company, student.name, amount=100)
	with pytest.raises(CreditSourceError, match="cannot use"):
		make_payment_allocation(
			company, student.customer, "Apply Deposit", source_doctype="Credit Note", source_name=note.name
		)


def test_apply_credit_without_open_invoices_is_refused(company, student):
	note = make_credit_note(company, student.name, amount=100)
	with pytest.raises(PaymentAllocationError, match="no open invoice"):
		make_payment_allocation(
			company, student.customer, "Apply Credit", source_doctype="Credit Note", source_name=note.name
		)


# ---------------------------------------------------------------- cancel and restore


def test_cancel_receipt_restores_invoices_and_ledger(company, student):
	first, second = invoice(company, student, 300), invoice(company, student, 200, due_date="2027-05-01")
	receipt = make_payment_allocation(company, student.customer, paid_amount=400)
	assert invoice_state(first.name) == (D(0), D(300), "Paid")
	assert invoice_state(second.name) == (D(100), D(100), "Partially Paid")

	receipt.cancel()
	assert invoice_state(first.name) == (D(300), D(0), "Issued")
	assert invoice_state(second.name) == (D(200), D(0), "Issued")
	assert gl_rows("Payment Allocation", receipt.name) == []
	assert ple_rows("Payment Allocation", receipt.name) == []


def test_cancel_apply_credit_restores_the_credit(company, student):
	inv = invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=250)
	applied = make_payment_allocation(
		company, student.customer, "Apply Credit", source_doctype="Credit Note", source_name=note.name
	)
	applied.cancel()
	assert remaining("Credit Note", note.name) == D(250)
	assert invoice_state(inv.name) == (D(300), D(0), "Issued")


def test_cancel_apply_deposit_restores_the_deposit(company, student):
	invoice(company, student, 300)
	deposit = make_deposit(company, student.name, amount=1000)
	applied = make_payment_allocation(
		company, student.customer, "Apply Deposit", source_doctype="Deposit", source_name=deposit.name
	)
	applied.cancel()
	assert remaining("Deposit", deposit.name) == D(1000)


def test_receipt_whose_credit_was_applied_cannot_be_cancelled(company, student):
	receipt = make_payment_allocation(company, student.customer, paid_amount=200)
	invoice(company, student, 100)
	applied = make_payment_allocation(
		company,
		student.customer,
		"Apply Credit",
		source_doctype="Payment Allocation",
		source_name=receipt.name,
	)
	with pytest.raises(CreditSourceError, match=applied.name):
		receipt.cancel()


def test_invoice_with_a_receipt_cannot_be_cancelled(company, student):
	from school_fees.school_fees.doctype.fee_invoice.fee_invoice import InvoiceHasAllocationsError

	inv = invoice(company, student, 300)
	receipt = make_payment_allocation(company, student.customer, paid_amount=100)
	inv.reload()
	inv.cancellation_reason = "Billed to the wrong student"
	with pytest.raises(InvoiceHasAllocationsError, match=receipt.name):
		inv.cancel()


def test_every_voucher_balances(company, student):
	invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=50)
	deposit = make_deposit(company, student.name, amount=80)
	receipt = make_payment_allocation(company, student.customer, paid_amount=100)
	applied = make_payment_allocation(
		company, student.customer, "Apply Deposit", source_doctype="Deposit", source_name=deposit.name
	)
	for doctype, name in (
		("Credit Note", note.name),
		("Deposit", deposit.name),
		("Payment Allocation", receipt.name),
		("Payment Allocation", applied.name),
	):
		assert_voucher_balances(doctype, name)


def test_invoice_dated_after_the_allocation_is_refused_and_not_filled(company, student):
	later = invoice(company, student, 300, posting_date="2027-05-01")
	with pytest.raises(PaymentAllocationError, match=later.name):
		make_payment_allocation(
			company,
			student.customer,
			paid_amount=100,
			posting_date="2027-04-05",
			allocations=[(later.name, 100)],
		)
	receipt = make_payment_allocation(company, student.customer, paid_amount=100, posting_date="2027-04-05")
	assert receipt.allocations == [] and D(receipt.unallocated_amount) == D(100)


def test_repost_accounting_ledger_posts_the_same_rows_again(company, student):
	"""Repost Accounting Ledger (repost_allowed_doctypes) deletes a voucher's ledger and calls its
	bare make_gl_entries(); the books must come back identical. Install/migrate allows our vouchers
	in Repost Accounting Ledger Settings, so nothing is configured here."""
	inv = invoice(company, student, 300)
	note = make_credit_note(company, student.name, amount=100)
	deposit = make_deposit(company, student.name, amount=50)
	receipt = make_payment_allocation(company, student.customer, paid_amount=250)
	vouchers = [
		("Fee Invoice", inv.name),
		("Payment Allocation", receipt.name),
		("Credit Note", note.name),
		("Deposit", deposit.name),
	]
	before = {voucher: (gl_rows(*voucher), ple_rows(*voucher)) for voucher in vouchers}

	repost = frappe.get_doc(
		{
			"doctype": "Repost Accounting Ledger",
			"company": company,
			"delete_cancelled_entries": 1,
			"vouchers": [{"voucher_type": dt, "voucher_no": dn} for dt, dn in vouchers],
		}
	)
	repost.insert()
	repost.submit()

	assert {voucher: (gl_rows(*voucher), ple_rows(*voucher)) for voucher in vouchers} == before
	assert invoice_state(inv.name) == (D(50), D(250), "Partially Paid")
	assert remaining("Credit Note", note.name) == D(100)
	assert remaining("Deposit", deposit.name) == D(50)


# ---------------------------------------------------------------- money inputs at the boundary


def test_a_receipt_of_a_sub_cent_amount_is_rounded_and_balances(company, student):
	"""100.005 used to post a debit of 100.01 against credits of 100.00 and fail to balance."""
	inv = invoice(company, student, 300)
	receipt = make_payment_allocation(company, student.customer, paid_amount=100.005)
	assert D(receipt.paid_amount) == D("100.01")
	assert [(r.fee_invoice, D(r.allocated_amount)) for r in receipt.allocations] == [(inv.name, D("100.01"))]
	assert_voucher_balances("Payment Allocation", receipt.name)
	assert invoice_state(inv.name) == (D("199.99"), D("100.01"), "Partially Paid")


def test_sub_cent_allocation_rows_are_rounded_too(company, student):
	inv = invoice(company, student, 300)
	receipt = make_payment_allocation(
		company, student.customer, paid_amount=50, allocations=[(inv.name, 49.996)]
	)
	assert D(receipt.allocations[0].allocated_amount) == D(50)
	assert D(receipt.unallocated_amount) == D(0)
	assert_voucher_balances("Payment Allocation", receipt.name)


def test_an_amount_beyond_the_column_is_refused_with_a_message(company, student):
	from school_fees.controllers.voucher import AmountTooLargeError

	invoice(company, student, 300)
	with pytest.raises(AmountTooLargeError, match="too large"):
		make_payment_allocation(company, student.customer, paid_amount=10**13)
	frappe.clear_messages()
	assert not frappe.get_all(
		"Payment Allocation", filters={"customer": student.customer, "paid_amount": (">", 10**12)}
	)
