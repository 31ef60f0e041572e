"""Payment Allocation on the real site: receipts allocated oldest due first, the seed's worked
example to the cent, every allocation type's GL, over-allocation, cancel and restore."""

import frappe
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

from school_fees.payments import CreditSourceError, OverAllocationError, PaymentAllocationError

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
