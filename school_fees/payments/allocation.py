"""The rules of one Payment Allocation: what it may settle, what it may draw on, and its GL rows.

Invoices an allocation touches are read from the ledger once per save (`InvoiceBook`): on submit,
after locking the source and then the invoices (always in this order, names sorted, so two
allocations never wait on each other in a cycle) with locking reads, so what another allocation
committed while this one waited is visible, and two allocations racing for the same invoice or
credit cannot both pass.

A credit source's open credit (Credit Note, a receipt's remainder, a deposit moved to credit, an
ERPNext Payment Entry or Journal Entry advance on the fee receivable) is minus its Payment Ledger
balance; a deposit's held amount is its balance on the deposit liability account.
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import getdate

from school_fees.core.allocation import OpenItem
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import (
	APPLY_CREDIT,
	APPLY_DEPOSIT,
	DEPOSIT_TO_CREDIT,
	RECEIPT,
	REFUND,
	SOURCES_BY_TYPE,
	TYPES_OPENING_CREDIT,
)
from school_fees.ledger.balances import (
	applied_from,
	liability_balance,
	lock_rows,
	receivable_balance,
	receivable_balances,
)
from school_fees.ledger.posting import VoucherEntries
from school_fees.payments.deposits import deposit_account_of
from school_fees.settings import get_company_settings

FEE_INVOICE = "Fee Invoice"
INVOICE_FIELDS = (
	"name",
	"student",
	"installment",
	"posting_date",
	"due_date",
	"company",
	"customer",
	"docstatus",
)


class PaymentAllocationError(frappe.ValidationError):
	"""A Payment Allocation is incomplete or inconsistent."""


class OverAllocationError(PaymentAllocationError):
	"""More is allocated than an invoice owes or than a receipt, credit or deposit holds."""


class CreditSourceError(PaymentAllocationError):
	"""The credit or deposit named as source cannot be used by this allocation."""


def validate_student_customer(doc, error: type[frappe.ValidationError]) -> None:
	"""A payment document naming a student must be for the customer that student is billed to."""
	if not doc.student:
		return
	customer = frappe.db.get_value("Student", doc.student, "customer")
	if customer != doc.customer:
		frappe.throw(
			_("Student {0} is billed to customer {1}, not {2}.").format(doc.student, customer, doc.customer),
			error,
		)


# ---------------------------------------------------------------- invoices, read once


class InvoiceBook:
	"""The Fee Invoices of one customer an allocation may touch, with their outstanding read from
	the Payment Ledger in one query (a locking read when `for_update`).

	With `names`: exactly those invoices, whatever their state or owner (the allocation checks its
	rows against them). Without: the customer's submitted invoices the stored outstanding says are
	open (a pre-filter only: the amounts are the ledger's), optionally one student's and only those
	posted by the date `posted_by`."""

	def __init__(
		self,
		company: str,
		customer: str,
		names: list[str] | None = None,
		*,
		student: str | None = None,
		posted_by=None,
		for_update: bool = False,
	):
		if names is not None:
			filters = {"name": ("in", sorted(set(names)) or [""])}
		else:
			filters = {
				"company": company,
				"customer": customer,
				"docstatus": 1,
				"outstanding_amount": (">", 0),
			}
			if student:
				filters["student"] = student
			if posted_by:
				filters["posting_date"] = ("<=", posted_by)
		self.rows = {
			row.name: row for row in frappe.get_all(FEE_INVOICE, filters=filters, fields=INVOICE_FIELDS)
		}
		if for_update:
			lock_rows(FEE_INVOICE, list(self.rows))
		balances = receivable_balances(FEE_INVOICE, list(self.rows), for_update=for_update)
		for name, row in self.rows.items():
			row.outstanding = balances[name]

	def open_items(self) -> list[OpenItem]:
		return [
			OpenItem(
				key=row.name,
				outstanding=row.outstanding,
				due_date=getdate(row.due_date or row.posting_date),
				posting_date=getdate(row.posting_date),
			)
			for row in self.rows.values()
		]

	def get(self, name: str) -> frappe._dict | None:
		return self.rows.get(name)


def get_open_invoices(
	company: str, customer: str, student: str | None = None, posted_by=None
) -> list[OpenItem]:
	"""The customer's (or student's) open Fee Invoices with their ledger outstanding."""
	return InvoiceBook(company, customer, student=student, posted_by=posted_by).open_items()


# ---------------------------------------------------------------- credit sources


def source_label(source_doctype: str, source_name: str) -> str:
	return f"{_(source_doctype)} {source_name}"


def available_credit(
	company: str, customer: str, source_doctype: str, source_name: str, *, for_update: bool = False
) -> Decimal:
	"""What a credit or deposit source can still give, from the ledger.

	Deposit: its balance on the deposit liability account. Credit Note, receipt, Payment Entry,
	Journal Entry: the customer's open credit against it on the fee receivable. A Payment Entry is
	further limited to its unallocated amount less what the app applied (an advance earmarked for a
	Sales Order is not free credit)."""
	if source_doctype == "Deposit":
		return liability_balance(
			deposit_account_of(source_name), "Deposit", source_name, for_update=for_update
		)
	receivable = get_company_settings(company).receivable_account
	open_credit = max(
		-receivable_balance(source_doctype, source_name, customer, account=receivable, for_update=for_update),
		ZERO,
	)
	if source_doctype == "Payment Entry":
		unallocated = to_decimal(
			frappe.db.get_value("Payment Entry", source_name, "unallocated_amount", for_update=for_update)
		)
		applied = applied_from(
			"Payment Entry", source_name, "Payment Allocation", account=receivable, for_update=for_update
		)
		open_credit = min(open_credit, max(quantize(unallocated - applied), ZERO))
	return open_credit


def validate_source_document(doc) -> None:
	"""Check that `doc.source_doctype/source_name` is a submitted credit (or deposit) of the same
	company and customer that this allocation type may use."""
	allowed = SOURCES_BY_TYPE[doc.allocation_type]
	if not doc.source_doctype or not doc.source_name:
		frappe.throw(
			_("{0} needs a source: one of {1}.").format(_(doc.allocation_type), ", ".join(map(_, allowed))),
			CreditSourceError,
		)
	if doc.source_doctype not in allowed:
		frappe.throw(
			_("{0} cannot use a {1} as its source; use one of {2}.").format(
				_(doc.allocation_type), _(doc.source_doctype), ", ".join(map(_, allowed))
			),
			CreditSourceError,
		)
	label = source_label(doc.source_doctype, doc.source_name)
	source = frappe.db.get_value(doc.source_doctype, doc.source_name, "*", as_dict=True)
	if not source:
		frappe.throw(_("{0} does not exist.").format(label), CreditSourceError)
	if source.docstatus != 1:
		frappe.throw(_("{0} is not submitted.").format(label), CreditSourceError)
	if source.company != doc.company:
		frappe.throw(
			_("{0} belongs to company {1}, not {2}.").format(label, source.company, doc.company),
			CreditSourceError,
		)
	party = source_party(doc.source_doctype, source, doc)
	if party != doc.customer:
		frappe.throw(
			_("{0} is a credit of customer {1}, not of {2}.").format(label, party or "-", doc.customer),
			CreditSourceError,
		)
	if doc.source_doctype == "Payment Allocation":
		if source.name == doc.name or source.allocation_type not in TYPES_OPENING_CREDIT:
			frappe.throw(
				_("{0} holds no open credit: only a receipt or a deposit moved to credit does.").format(
					label
				),
				CreditSourceError,
			)
	if doc.source_doctype == "Payment Entry":
		if source.payment_type != "Receive" or source.paid_from != doc.receivable_account:
			frappe.throw(
				_("{0} is not a receipt on the fee receivable account {1}.").format(
					label, doc.receivable_account
				),
				CreditSourceError,
			)


def source_party(source_doctype: str, source: dict, doc) -> str | None:
	if source_doctype in ("Credit Note", "Payment Allocation", "Deposit"):
		return source.customer
	if source_doctype == "Payment Entry":
		return source.party if source.party_type == "Customer" else None
	# Journal Entry: the customer credited on the fee receivable without a reference
	jea = frappe.qb.DocType("Journal Entry Account")
	found = (
		frappe.qb.from_(jea)
		.select(jea.party)
		.where(
			(jea.parent == source.name)
			& (jea.parenttype == "Journal Entry")
			& (jea.account == doc.receivable_account)
			& (jea.party_type == "Customer")
			& (jea.party == doc.customer)
			& (jea.credit_in_account_currency > jea.debit_in_account_currency)
			& ((jea.reference_type.isnull()) | (jea.reference_type == ""))
		)
		.limit(1)
	).run()
	return found[0][0] if found else None


def used_by(source_doctype: str, source_name: str) -> list[str]:
	"""Submitted Payment Allocations that draw on a credit or deposit source."""
	return frappe.get_all(
		"Payment Allocation",
		filters={"source_doctype": source_doctype, "source_name": source_name, "docstatus": 1},
		pluck="name",
		order_by="name",
	)


def check_not_used(doc) -> None:
	"""Refuse to cancel a credit or deposit that later allocations draw on, naming them."""
	users = used_by(doc.doctype, doc.name)
	if users:
		frappe.throw(
			_("{0} {1} was used by {2}. Cancel those allocations first.").format(
				_(doc.doctype), doc.name, ", ".join(users)
			),
			CreditSourceError,
			title=_("Credit In Use"),
		)


# ---------------------------------------------------------------- GL rows


def allocation_entries(doc) -> list[frappe._dict]:
	"""The GL rows of a Payment Allocation (DESIGN.md, "Money and the ledger")."""
	gl = VoucherEntries(doc, cost_center=doc.cost_center)
	receivable, customer = doc.receivable_account, doc.customer
	paid = to_decimal(doc.paid_amount)

	def settle_invoices():
		for row in doc.allocations:
			gl.credit(
				receivable,
				row.allocated_amount,
				party=customer,
				against=(FEE_INVOICE, row.fee_invoice),
				voucher_detail_no=row.name,
			)

	def draw_on_source(amount):
		if doc.source_doctype == "Deposit":
			account = deposit_account_of(doc.source_name)
		else:
			account = receivable
		gl.debit(account, amount, party=customer, against=(doc.source_doctype, doc.source_name))

	if doc.allocation_type == RECEIPT:
		gl.debit(doc.paid_to, paid)
		settle_invoices()
		gl.credit(receivable, doc.unallocated_amount, party=customer, against=(doc.doctype, doc.name))
	elif doc.allocation_type in (APPLY_CREDIT, APPLY_DEPOSIT):
		draw_on_source(doc.total_allocated)
		settle_invoices()
	elif doc.allocation_type == REFUND:
		draw_on_source(paid)
		gl.credit(doc.paid_to, paid)
	elif doc.allocation_type == DEPOSIT_TO_CREDIT:
		draw_on_source(paid)
		gl.credit(receivable, paid, party=customer, against=(doc.doctype, doc.name))
	return gl.rows
