# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt
"""Fee Invoice: one student's bill for one installment (or a one-off charge, or a late fee).

Accounting (posted on submit = issue, reversed on cancel):

	Debit	Student Fees Receivable (party = customer, against this invoice)	grand total
	Credit	income account of each fee head (its cost center)					net amount
	  — or, when the company has a discount account —
	Credit	income account of each fee head									gross amount
	Debit	discount account													discount

Status is derived, never typed: see school_fees.core.status and ledger.writeback.refresh_fee_invoice.
"""

import frappe
from frappe import _
from frappe.utils import flt, getdate, nowdate

from school_fees import audit
from school_fees.accounts import get_fee_head_account
from school_fees.controllers.voucher import FeeVoucher
from school_fees.core.billing import billing_key
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.status import CANCELLED, DRAFT, invoice_status
from school_fees.invoicing.builder import FEE_INVOICE, set_totals
from school_fees.invoicing.structures import check_due_date
from school_fees.ledger.balances import lock_rows, settling_vouchers
from school_fees.ledger.posting import VoucherEntries, currency_precision
from school_fees.ledger.writeback import refresh_fee_invoice
from school_fees.settings import get_company_settings

CANCELLATION_REASON_MIN_LENGTH = 10
CANCEL_ROLES = ("Fees Manager", "System Manager")


class FeeInvoiceValidationError(frappe.ValidationError):
	pass


class CancellationReasonError(frappe.ValidationError):
	pass


class CancellationNotPermittedError(frappe.PermissionError):
	pass


class InvoiceHasAllocationsError(frappe.ValidationError):
	pass


class IssuedInvoiceDeleteError(frappe.ValidationError):
	pass


class FeeInvoice(FeeVoucher):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.fee_invoice_discount.fee_invoice_discount import (
			FeeInvoiceDiscount,
		)
		from school_fees.school_fees.doctype.fee_invoice_item.fee_invoice_item import FeeInvoiceItem

		academic_term: DF.Link | None
		admission_no: DF.Data | None
		amended_from: DF.Link | None
		billing_key: DF.Data | None
		billing_run: DF.Link | None
		cancellation_reason: DF.SmallText | None
		class_section: DF.Link | None
		company: DF.Link
		cost_center: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		discount_total: DF.Currency
		discounts: DF.Table[FeeInvoiceDiscount]
		due_date: DF.Date
		fee_group: DF.Link | None
		fee_structure: DF.Link | None
		grade: DF.Link | None
		grand_total: DF.Currency
		history_html: DF.HTML | None
		installment: DF.Data | None
		is_late_fee: DF.Check
		items: DF.Table[FeeInvoiceItem]
		late_fee_for: DF.Link | None
		naming_series: DF.Literal["FINV-.YYYY.-"]
		outstanding_amount: DF.Currency
		paid_amount: DF.Currency
		posting_date: DF.Date
		proration_factor: DF.Float
		receivable_account: DF.Link | None
		remarks: DF.SmallText | None
		status: DF.Literal["Draft", "Issued", "Partially Paid", "Paid", "Overdue", "Cancelled"]
		student: DF.Link
		student_name: DF.Data | None
		total: DF.Currency
	# end: auto-generated types

	def validate(self):
		self.set_missing_values()
		self.round_money()
		self.validate_student()
		self.validate_dates()
		self.set_item_accounts()
		self.validate_items()
		self.calculate_totals()
		self.set_billing_key()
		self.set_status()

	def after_insert(self):
		audit.log(self.doctype, self.name, "Created", to_status=self.status, company=self.company)

	def before_submit(self):
		self.status = self.derived_status(docstatus=1, as_of=self.flags.status_as_of)

	def audit_submit(self):
		audit.log(self.doctype, self.name, "Issued", DRAFT, self.status, company=self.company)

	def before_cancel(self):
		validate_cancellation(self)
		self._status_before_cancel = self.status
		self.status = CANCELLED

	def on_cancel(self):
		self.db_set("billing_key", None, update_modified=False)  # a corrected invoice can take it
		super().on_cancel()

	def audit_cancel(self):
		audit.log(
			self.doctype,
			self.name,
			"Cancelled",
			getattr(self, "_status_before_cancel", None),
			CANCELLED,
			self.cancellation_reason,
			self.company,
		)

	def on_trash(self):
		if self.docstatus != 0:
			frappe.throw(
				_("Fee Invoice {0} was issued and cannot be deleted; it stays on record as {1}.").format(
					frappe.bold(self.name), _(self.status)
				),
				IssuedInvoiceDeleteError,
			)
		audit.log(
			self.doctype,
			self.name,
			"Deleted",
			self.status,
			None,
			self.flags.get("deletion_reason"),
			self.company,
		)

	# ------------------------------------------------------------ validate steps

	def set_missing_values(self):
		student = frappe.db.get_value(
			"Student",
			self.student,
			["student_name", "admission_no", "customer", "company", "grade", "class_section"],
			as_dict=True,
		)
		if not student:
			frappe.throw(_("Student {0} not found").format(self.student), FeeInvoiceValidationError)
		self._student = student
		self.company = self.company or student.company
		self.customer = self.customer or student.customer
		self.student_name = student.student_name
		self.admission_no = student.admission_no
		self.grade = self.grade or student.grade
		self.class_section = self.class_section or student.class_section
		settings = get_company_settings(self.company)
		self.receivable_account = self.receivable_account or settings.receivable_account
		self.cost_center = self.cost_center or settings.cost_center
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		self.posting_date = self.posting_date or nowdate()
		self.due_date = self.due_date or self.posting_date

	def validate_student(self):
		if self._student.company != self.company:
			frappe.throw(
				_("Student {0} belongs to {1}, not to {2}.").format(
					frappe.bold(self.student), self._student.company, self.company
				),
				FeeInvoiceValidationError,
			)
		if not self.customer:
			frappe.throw(
				_("Student {0} has no billing customer.").format(frappe.bold(self.student)),
				FeeInvoiceValidationError,
			)

	def validate_dates(self):
		check_due_date(self.posting_date, self.due_date, FeeInvoiceValidationError)

	def set_item_accounts(self):
		for item in self.items:
			if item.fee_head and not (item.income_account and item.cost_center):
				account = get_fee_head_account(item.fee_head, self.company)
				item.income_account = item.income_account or account.income_account
				item.cost_center = item.cost_center or account.cost_center

	def validate_items(self):
		if not self.items:
			frappe.throw(_("Add at least one fee item to the invoice."), FeeInvoiceValidationError)
		for item in self.items:
			amount, discount = to_decimal(item.amount), to_decimal(item.discount_amount)
			if amount < 0 or discount < 0:
				frappe.throw(
					_("Row #{0} ({1}): amount and discount cannot be negative.").format(
						item.idx, item.fee_head
					),
					FeeInvoiceValidationError,
				)
			if discount > amount:
				frappe.throw(
					_("Row #{0} ({1}): the discount {2} is more than the amount {3}.").format(
						item.idx, item.fee_head, discount, amount
					),
					FeeInvoiceValidationError,
				)

	def calculate_totals(self):
		set_totals(self, currency_precision(self.company))

	def set_billing_key(self):
		"""Generated installment invoices hold the (student, structure, installment) key while live;
		late fees and one-off charges carry their own key or none."""
		if not self.billing_key and not self.is_late_fee and self.fee_structure and self.installment:
			self.billing_key = billing_key(self.student, self.fee_structure, self.installment)

	def set_status(self):
		if self.docstatus == 0:
			self.status = DRAFT

	# ------------------------------------------------------------ ledger

	def get_gl_entries(self) -> list[frappe._dict]:
		"""The invoice's GL rows. Works on an unsaved document that already has its name (the bulk
		billing path posts many at once)."""
		settings = self.flags.get("company_settings") or get_company_settings(self.company)
		precision = currency_precision(self.company)
		cost_center = self.cost_center or settings.cost_center
		remarks = (
			self.remarks
			or _("Fee Invoice {0}: {1} {2}")
			.format(self.name, self.student_name or self.student, self.installment or "")
			.strip()
		)
		gl = VoucherEntries(self, cost_center=cost_center, remarks=remarks)
		gl.debit(
			self.receivable_account or settings.receivable_account,
			quantize(self.grand_total, precision),
			party=self.customer,
			against=(self.doctype, self.name),
			due_date=self.due_date,
		)
		for item in self.items:
			amount = quantize(item.amount, precision)
			discount = quantize(item.discount_amount, precision)
			item_cost_center = item.cost_center or cost_center
			if settings.discount_account:
				gl.credit(item.income_account, amount, cost_center=item_cost_center)
				if discount:
					gl.debit(settings.discount_account, discount, cost_center=item_cost_center)
			else:
				gl.credit(item.income_account, amount - discount, cost_center=item_cost_center)
		return gl.rows

	def derived_status(self, docstatus: int | None = None, as_of=None) -> str:
		docstatus = self.docstatus if docstatus is None else docstatus
		outstanding = ZERO if docstatus == 2 else to_decimal(self.grand_total)
		return invoice_status(
			docstatus,
			to_decimal(self.grand_total),
			outstanding,
			getdate(self.due_date),
			getdate(as_of or nowdate()),
		)

	def refresh_from_ledger(self):
		"""Recompute outstanding/paid/status from the Payment Ledger and reflect them here."""
		refresh_fee_invoice(self.name, self.flags.status_as_of)
		values = frappe.db.get_value(
			self.doctype, self.name, ["status", "outstanding_amount", "paid_amount"], as_dict=True
		)
		self.status = values.status
		self.outstanding_amount = flt(values.outstanding_amount)
		self.paid_amount = flt(values.paid_amount)


# ---------------------------------------------------------------- deletion


# ---------------------------------------------------------------- cancellation


def validate_cancellation(doc: FeeInvoice) -> None:
	"""An issued invoice is cancelled only with a reason, by a Fees Manager, and only while no
	payment or credit is allocated to it."""
	reason = (doc.cancellation_reason or "").strip()
	if len(reason) < CANCELLATION_REASON_MIN_LENGTH:
		frappe.throw(
			_("Give a reason of at least {0} characters to cancel Fee Invoice {1}.").format(
				CANCELLATION_REASON_MIN_LENGTH, frappe.bold(doc.name)
			),
			CancellationReasonError,
			title=_("Reason Required"),
		)
	if not set(CANCEL_ROLES) & set(frappe.get_roles()):
		frappe.throw(
			_("Only a Fees Manager can cancel Fee Invoice {0}.").format(frappe.bold(doc.name)),
			CancellationNotPermittedError,
			title=_("Not Permitted"),
		)
	blocking = blocking_documents(doc.name)
	if blocking:
		frappe.throw(
			_(
				"Fee Invoice {0} cannot be cancelled while payments or credits are allocated to it: {1}. "
				"Cancel or unallocate them first."
			).format(frappe.bold(doc.name), ", ".join(f"{dt} {dn}" for dt, dn in blocking)),
			InvoiceHasAllocationsError,
			title=_("Invoice Has Allocations"),
		)
	late_fees = live_late_fees(doc.name)
	if late_fees:
		frappe.throw(
			_(
				"Fee Invoice {0} cannot be cancelled while its late fees are live: {1}. Cancel them first."
			).format(frappe.bold(doc.name), ", ".join(late_fees)),
			InvoiceHasAllocationsError,
			title=_("Invoice Has Late Fees"),
		)


def blocking_documents(name: str) -> list[tuple[str, str]]:
	"""Documents that allocate money to the invoice: other vouchers with a live Payment Ledger
	Entry against it, and submitted Payment Allocations naming it."""
	allocations = frappe.get_all(
		"Payment Allocation Item",
		filters={"fee_invoice": name, "docstatus": 1, "parenttype": "Payment Allocation"},
		pluck="parent",
		distinct=True,
	)
	return sorted(set(settling_vouchers(name)) | {("Payment Allocation", dn) for dn in allocations})


def live_late_fees(name: str) -> list[str]:
	"""Submitted late-fee invoices charged on the invoice: they make no sense without it."""
	return frappe.get_all(
		FEE_INVOICE, filters={"late_fee_for": name, "docstatus": 1}, pluck="name", order_by="name"
	)


@frappe.whitelist(methods=["POST"])
def cancel_fee_invoice(name: str, reason: str) -> str:
	"""Cancel an issued Fee Invoice with a reason (at least 10 characters), as a Fees Manager.

	The GL and Payment Ledger entries are reversed, the billing key is freed (a corrected invoice
	can be issued), and the reason is kept on the invoice and in the audit log."""
	lock_rows(FEE_INVOICE, [name])
	doc = frappe.get_doc(FEE_INVOICE, name)
	if doc.docstatus != 1:
		frappe.throw(
			_("Only an issued Fee Invoice can be cancelled; {0} is {1} (a draft is deleted instead).").format(
				frappe.bold(name), _(doc.status)
			),
			FeeInvoiceValidationError,
		)
	doc.cancellation_reason = (reason or "").strip()
	validate_cancellation(doc)  # reason, role and allocations first: their messages say what to do
	doc.check_permission("cancel")
	doc.cancel()
	return doc.status


# ---------------------------------------------------------------- form helpers


@frappe.whitelist()
def get_invoice_history(name: str) -> dict:
	"""Payment history (allocations to the invoice) and audit trail, for the invoice form."""
	frappe.has_permission(FEE_INVOICE, "read", name, throw=True)
	pa = frappe.qb.DocType("Payment Allocation")
	item = frappe.qb.DocType("Payment Allocation Item")
	payments = (
		frappe.qb.from_(item)
		.join(pa)
		.on(pa.name == item.parent)
		.select(
			pa.name.as_("receipt"),
			pa.posting_date,
			pa.allocation_type,
			pa.mode_of_payment,
			pa.reference_no,
			pa.docstatus,
			item.allocated_amount,
		)
		.where((item.fee_invoice == name) & (item.parenttype == "Payment Allocation") & (pa.docstatus > 0))
		.orderby(pa.posting_date)
		.orderby(pa.name)
	).run(as_dict=True)
	audit_trail = frappe.get_all(
		"Fee Audit Log",
		filters={"reference_doctype": FEE_INVOICE, "reference_name": name},
		fields=["timestamp", "action", "from_status", "to_status", "user", "ip_address", "reason"],
		order_by="timestamp asc, creation asc",
	)
	late_fees = frappe.get_all(
		FEE_INVOICE,
		filters={"late_fee_for": name, "docstatus": ("<", 2)},
		fields=["name", "posting_date", "grand_total", "outstanding_amount", "status"],
		order_by="posting_date, name",
	)
	reminders = frappe.get_all(
		"Fee Reminder Log",
		filters={"fee_invoice": name},
		fields=["sent_on", "reminder_type", "stage", "channel", "status", "recipient", "reason", "user"],
		order_by="sent_on asc, creation asc",
	)
	return {"payments": payments, "audit": audit_trail, "late_fees": late_fees, "reminders": reminders}
