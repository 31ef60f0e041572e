# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt
"""Payment Allocation: a receipt, or credit / a deposit applied to invoices, a refund, or a deposit
moved to credit (core.payment_types).

The invoices it touches and the source it draws on are read from the ledger once per save; when
submitting, that read happens after locking the source and then the invoices, with locking reads
(payments.allocation.InvoiceBook), so every limit is checked against what is committed now.

Who makes which kind (DESIGN "Roles and access": a Fee Cashier takes receipts and deposits end to
end, and issues no credit). A Receipt (money taken at the counter) and an Apply Deposit (a deposit
the family already holds, applied to its invoices) are made by anyone the doctype lets create one,
a Fee Cashier included. Apply Credit, Refund (money paid out) and Deposit to Credit reshape what the
family is owed: only a Fees Manager, an Accounts Manager or a System Manager makes them. The check
is a validate step, so it holds for inserting and for submitting, from the desk (whichever button
opened the form: Deposit, Credit Note, Student, the balance reports), the REST API and code alike.
A refusal is an `AllocationTypeNotPermittedError`, raised before the ledger is read or anything is
posted. It is a `frappe.ValidationError` (HTTP 417), not a `PermissionError` (403): on a 403 the
desk's form save gets no response back (Frappe's form.js fails reading it and the save is left half
done), where a 417 comes back as the message of any refused save; and the app's loops over records
(payments.bulk.submit_per_student, payments.credit.auto_apply_credit) catch ValidationError only.
"""

import frappe
from frappe import _
from frappe.utils import comma_or, flt, getdate

from school_fees.accounts import get_mode_of_payment_account
from school_fees.controllers.voucher import FeeVoucher
from school_fees.core.allocation import Allocation, allocate, validate_allocations
from school_fees.core.credits import check_source_use
from school_fees.core.errors import AllocationError
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import (
	APPLY_CREDIT,
	APPLY_DEPOSIT,
	DEPOSIT_TO_CREDIT,
	RECEIPT,
	REFUND,
	TYPES_OPENING_CREDIT,
	TYPES_WITH_AMOUNT,
	TYPES_WITH_CASH,
	TYPES_WITH_INVOICES,
)
from school_fees.ledger.balances import lock_rows
from school_fees.ledger.writeback import refresh_deposit
from school_fees.payments.allocation import (
	InvoiceBook,
	OverAllocationError,
	PaymentAllocationError,
	allocation_entries,
	available_credit,
	check_not_used,
	source_label,
	validate_source_document,
	validate_student_customer,
)
from school_fees.settings import get_company_settings

# Each kind of allocation is numbered in its own series, so a number says what the voucher is
NAMING_SERIES_BY_TYPE = {
	RECEIPT: "RCPT-.YYYY.-",
	APPLY_CREDIT: "CDAP-.YYYY.-",
	APPLY_DEPOSIT: "DPAP-.YYYY.-",
	REFUND: "RFND-.YYYY.-",
	DEPOSIT_TO_CREDIT: "DTC-.YYYY.-",
}

# The kinds that apply, move or pay out a family's credit, and the roles that make them
TYPES_RESHAPING_CREDIT = (APPLY_CREDIT, REFUND, DEPOSIT_TO_CREDIT)
CREDIT_ROLES = ("Fees Manager", "Accounts Manager", "System Manager")


class AllocationTypeNotPermittedError(frappe.ValidationError):
	"""The user may not make this kind of Payment Allocation (see `may_make`)."""


def may_make(allocation_type: str, user: str | None = None) -> bool:
	"""Whether `user` (the session user by default) may make a Payment Allocation of this kind: a
	kind that reshapes credit needs one of CREDIT_ROLES, the others only the doctype's own rights."""
	if allocation_type not in TYPES_RESHAPING_CREDIT:
		return True
	return not set(CREDIT_ROLES).isdisjoint(frappe.get_roles(user))


class PaymentAllocation(FeeVoucher):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.payment_allocation_item.payment_allocation_item import (
			PaymentAllocationItem,
		)

		allocation_type: DF.Literal["Receipt", "Apply Credit", "Apply Deposit", "Refund", "Deposit to Credit"]
		allocations: DF.Table[PaymentAllocationItem]
		amended_from: DF.Link | None
		clearance_date: DF.Date | None
		company: DF.Link
		cost_center: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		mode_of_payment: DF.Link | None
		naming_series: DF.Literal[
			"RCPT-.YYYY.-", "CDAP-.YYYY.-", "DPAP-.YYYY.-", "RFND-.YYYY.-", "DTC-.YYYY.-"
		]
		paid_amount: DF.Currency
		paid_to: DF.Link | None
		posting_date: DF.Date
		receivable_account: DF.Link | None
		reference_date: DF.Date | None
		reference_no: DF.Data | None
		remaining_amount: DF.Currency
		remarks: DF.SmallText | None
		source_doctype: DF.Link | None
		source_name: DF.DynamicLink | None
		student: DF.Link | None
		student_name: DF.Data | None
		total_allocated: DF.Currency
		unallocated_amount: DF.Currency
	# end: auto-generated types

	def before_naming(self):
		"""The type decides the series (a receipt number is never given to a refund)."""
		self.naming_series = NAMING_SERIES_BY_TYPE.get(self.allocation_type, self.naming_series)

	def validate(self):
		self.check_type_permitted()
		self.set_missing_values()
		self.round_money()
		self.validate_student()
		self.clear_fields_of_other_types()
		self.validate_amounts()
		self.validate_source()
		self.read_ledger()
		self.set_allocations()
		self.set_allocation_details()
		self.validate_allocations()
		self.calculate_totals()
		self.check_against_ledger()

	def before_cancel(self):
		if self.allocation_type in TYPES_OPENING_CREDIT:
			check_not_used(self)

	# ------------------------------------------------------------ validate steps

	def check_type_permitted(self):
		"""Refuse a kind this user may not make (module docstring), naming the roles that may."""
		if may_make(self.allocation_type):
			return
		frappe.throw(
			_("Only a {0} can make a {1}: it applies, moves or pays out a family's credit.").format(
				comma_or([_(role) for role in CREDIT_ROLES], add_quotes=False),
				frappe.bold(_(self.allocation_type)),
			),
			AllocationTypeNotPermittedError,
			title=_("Not Permitted"),
		)

	def set_missing_values(self):
		settings = get_company_settings(self.company)
		self.receivable_account = settings.receivable_account
		self.cost_center = self.cost_center or settings.cost_center
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		if self.student and not self.customer:
			self.customer = frappe.db.get_value("Student", self.student, "customer")
		if self.allocation_type in TYPES_WITH_CASH and self.mode_of_payment and not self.paid_to:
			self.paid_to = get_mode_of_payment_account(self.mode_of_payment, self.company)

	def validate_student(self):
		validate_student_customer(self, PaymentAllocationError)

	def clear_fields_of_other_types(self):
		"""Fields that mean nothing for this type are emptied, so they never reach the ledger."""
		if self.allocation_type not in TYPES_WITH_CASH:
			self.mode_of_payment = self.paid_to = None
		if self.allocation_type == RECEIPT:
			self.source_doctype = self.source_name = None
		if self.allocation_type not in TYPES_WITH_INVOICES and self.allocations:
			frappe.throw(
				_("A {0} does not settle invoices: remove the allocation rows.").format(
					_(self.allocation_type)
				),
				PaymentAllocationError,
			)

	def validate_amounts(self):
		if self.allocation_type in TYPES_WITH_CASH and not self.paid_to:
			frappe.throw(
				_("Select the Mode of Payment or the cash/bank account the money was paid to or from."),
				PaymentAllocationError,
			)
		if self.allocation_type in TYPES_WITH_AMOUNT and flt(self.paid_amount) <= 0:
			frappe.throw(_("The amount must be above zero."), PaymentAllocationError)
		if flt(self.paid_amount) < 0:
			frappe.throw(_("The amount must not be negative."), PaymentAllocationError)
		for row in self.allocations:
			if flt(row.allocated_amount) < 0:
				frappe.throw(
					_("Row {0}: the amount allocated to {1} must not be negative.").format(
						row.idx, row.fee_invoice
					),
					OverAllocationError,
				)

	def validate_source(self):
		if self.allocation_type != RECEIPT:
			validate_source_document(self)

	def read_ledger(self):
		"""Read, once for this save, the invoices this allocation touches (the rows it has, or the
		customer's open invoices when it has none) and what its source can still give. On submit the
		source and then the invoices are locked first and read with locking reads."""
		submitting = self.docstatus == 1
		if submitting and self.source_doctype and self.source_name:
			lock_rows(self.source_doctype, [self.source_name])
		self.source_left = (
			available_credit(
				self.company, self.customer, self.source_doctype, self.source_name, for_update=submitting
			)
			if self.allocation_type != RECEIPT
			else None
		)
		self.invoices = None
		if self.allocation_type not in TYPES_WITH_INVOICES:
			return
		names = [row.fee_invoice for row in self.allocations if flt(row.allocated_amount) > 0]
		self.invoices = InvoiceBook(
			self.company,
			self.customer,
			names if self.allocations else None,
			student=self.student,
			posted_by=self.posting_date,
			for_update=submitting,
		)

	def set_allocations(self):
		"""Fill the allocation rows oldest due date first when the user left them empty."""
		if self.allocation_type not in TYPES_WITH_INVOICES or self.allocations:
			return
		amount = to_decimal(self.paid_amount)
		if self.allocation_type != RECEIPT:
			amount = min(amount, self.source_left) if amount > 0 else self.source_left
		proposed, _remainder = allocate(amount, self.invoices.open_items())
		for part in proposed:
			self.append("allocations", {"fee_invoice": part.key, "allocated_amount": flt(part.amount)})

	def set_allocation_details(self):
		self.allocations = [row for row in self.allocations if flt(row.allocated_amount) > 0]
		for idx, row in enumerate(self.allocations, start=1):
			row.idx = idx
			invoice = self.invoices.get(row.fee_invoice)
			if not invoice or invoice.docstatus != 1:
				frappe.throw(
					_("Row {0}: Fee Invoice {1} is not a submitted invoice.").format(idx, row.fee_invoice),
					PaymentAllocationError,
				)
			if invoice.company != self.company or invoice.customer != self.customer:
				frappe.throw(
					_("Row {0}: Fee Invoice {1} belongs to {2} ({3}), not to {4} ({5}).").format(
						idx, row.fee_invoice, invoice.customer, invoice.company, self.customer, self.company
					),
					PaymentAllocationError,
				)
			if getdate(invoice.posting_date) > getdate(self.posting_date):
				frappe.throw(
					_("Row {0}: Fee Invoice {1} is dated {2}, after this allocation ({3}).").format(
						idx,
						row.fee_invoice,
						frappe.format(invoice.posting_date, "Date"),
						frappe.format(self.posting_date, "Date"),
					),
					PaymentAllocationError,
				)
			row.student, row.installment, row.due_date = (
				invoice.student,
				invoice.installment,
				invoice.due_date,
			)
			row.outstanding_amount = flt(invoice.outstanding)

	def validate_allocations(self):
		if self.allocation_type in (APPLY_CREDIT, APPLY_DEPOSIT) and not self.allocations:
			frappe.throw(
				_("{0} has no open invoice of customer {1} to settle.").format(
					_(self.allocation_type), self.customer
				),
				PaymentAllocationError,
			)

	def calculate_totals(self):
		total = sum((to_decimal(row.allocated_amount) for row in self.allocations), ZERO)
		self.total_allocated = flt(total)
		if self.allocation_type in (APPLY_CREDIT, APPLY_DEPOSIT):
			self.paid_amount = flt(total)
		if self.allocation_type == RECEIPT:
			self.unallocated_amount = flt(quantize(to_decimal(self.paid_amount) - total))
		elif self.allocation_type == DEPOSIT_TO_CREDIT:
			self.unallocated_amount = self.paid_amount
		else:
			self.unallocated_amount = 0

	def check_against_ledger(self):
		"""No row above its invoice's outstanding, no invoice twice, and the total within the
		receipt (Receipt) or within what the source still holds (every other type)."""
		requested = [
			Allocation(row.fee_invoice, to_decimal(row.allocated_amount)) for row in self.allocations
		]
		try:
			if self.invoices is not None:
				limit = to_decimal(self.paid_amount) if self.allocation_type == RECEIPT else None
				validate_allocations(limit, self.invoices.open_items(), requested)
			if self.allocation_type != RECEIPT:
				wanted = (
					sum((part.amount for part in requested), ZERO)
					if self.allocation_type in TYPES_WITH_INVOICES
					else to_decimal(self.paid_amount)
				)
				check_source_use(
					source_label(self.source_doctype, self.source_name), self.source_left, wanted
				)
		except AllocationError as error:
			frappe.throw(
				_("Cannot allocate {0}: {1}").format(self.name or _("this payment"), str(error)),
				OverAllocationError,
				title=_("Over-allocation"),
			)

	# ------------------------------------------------------------ ledger

	def get_gl_entries(self):
		return allocation_entries(self)

	def refresh_from_ledger(self):
		"""Invoices, credit notes and receipts are refreshed by the Payment Ledger Entry hook, once
		per row posted or reversed against them; a deposit has no Payment Ledger row, so it is
		written here. This document's own open credit is read back for the form."""
		if self.source_doctype == "Deposit" and self.source_name:
			refresh_deposit(self.source_name)
		if self.allocation_type in TYPES_OPENING_CREDIT:
			self.remaining_amount = flt(frappe.db.get_value(self.doctype, self.name, "remaining_amount"))
