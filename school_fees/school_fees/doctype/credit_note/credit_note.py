# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import flt, fmt_money

from school_fees.controllers.voucher import FeeVoucher
from school_fees.ledger.posting import VoucherEntries
from school_fees.payments.allocation import check_not_used, validate_student_customer
from school_fees.settings import get_company_settings

# School Fees Settings field holding the account debited for each reason type
CREDIT_ACCOUNT_FIELDS = {
	"Concession": "concession_account",
	"Scholarship": "scholarship_account",
	"Cancelled Class": "cancelled_class_account",
	"Write-off": "write_off_account",
}


# seed 000's "Approved By": a credit is approved by a user holding one of these roles
APPROVER_ROLES = ("Fees Manager", "Principal")


class CreditNoteError(frappe.ValidationError):
	"""A Credit Note is incomplete or inconsistent."""


class CreditNoteApproverError(CreditNoteError):
	"""A Credit Note is submitted without an approver who holds Fees Manager or Principal."""


class CreditNote(FeeVoucher):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amended_from: DF.Link | None
		amount: DF.Currency
		approved_by: DF.Link | None
		company: DF.Link
		cost_center: DF.Link | None
		credit_account: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		naming_series: DF.Literal["FCN-.YYYY.-"]
		notify_guardian: DF.Check
		posting_date: DF.Date
		reason: DF.SmallText | None
		reason_type: DF.Literal["Concession", "Scholarship", "Cancelled Class", "Write-off"]
		receivable_account: DF.Link | None
		remaining_amount: DF.Currency
		student: DF.Link | None
		student_name: DF.Data | None
	# end: auto-generated types

	def validate(self):
		self.set_missing_values()
		self.round_money()
		self.validate_amount()
		self.validate_student()
		self.validate_approver()

	def on_submit(self):
		super().on_submit()
		if self.notify_guardian:
			self.send_notification()

	def before_cancel(self):
		check_not_used(self)

	def refresh_from_ledger(self):
		"""The Payment Ledger Entry hook wrote the open credit back; reflect it on the form."""
		self.remaining_amount = flt(frappe.db.get_value(self.doctype, self.name, "remaining_amount"))

	# ------------------------------------------------------------ validate steps

	def set_missing_values(self):
		self.set_party_from_student(CreditNoteError)
		settings = get_company_settings(self.company)
		self.receivable_account = settings.receivable_account
		self.credit_account = settings.get(CREDIT_ACCOUNT_FIELDS[self.reason_type])
		self.cost_center = self.cost_center or settings.cost_center
		self.set_company_currency()
		if not self.credit_account:
			frappe.throw(
				_("Set the {0} account of company {1} in School Fees Settings.").format(
					_(self.reason_type), self.company
				),
				CreditNoteError,
			)

	def validate_amount(self):
		if flt(self.amount) <= 0:
			frappe.throw(_("The credit amount must be above zero."), CreditNoteError)

	def validate_student(self):
		validate_student_customer(self, CreditNoteError)

	def validate_approver(self):
		"""On submit the credit needs an approver holding Fees Manager or Principal. Left empty, the
		submitting user is the approver when they hold one of those roles (they approve by submitting);
		anyone else (an Accounts Manager, say) must name one."""
		if self.docstatus != 1:
			return
		if not self.approved_by and holds_approver_role(frappe.session.user):
			self.approved_by = frappe.session.user
		if not self.approved_by:
			frappe.throw(
				_("A credit note needs an approver holding the role {0} before it is submitted.").format(
					_(" or ").join(_(role) for role in APPROVER_ROLES)
				),
				CreditNoteApproverError,
			)
		if not holds_approver_role(self.approved_by):
			frappe.throw(
				_("{0} cannot approve a credit note: the approver must hold the role {1}.").format(
					frappe.bold(self.approved_by), _(" or ").join(_(role) for role in APPROVER_ROLES)
				),
				CreditNoteApproverError,
			)

	# ------------------------------------------------------------ ledger

	def get_gl_entries(self):
		"""Dr the credit account of the reason type / Cr receivable against this note (open credit)."""
		gl = VoucherEntries(self, cost_center=self.cost_center)
		gl.debit(self.credit_account, self.amount)
		gl.credit(
			self.receivable_account, self.amount, party=self.customer, against=(self.doctype, self.name)
		)
		return gl.rows

	# ------------------------------------------------------------ notification

	def send_notification(self):
		"""Email the guardian (and the approver) that the credit was added to the account."""
		guardian_email = self.student and frappe.db.get_value("Student", self.student, "guardian_email")
		approver_email = self.approved_by and frappe.db.get_value("User", self.approved_by, "email")
		if not guardian_email and not approver_email:
			frappe.msgprint(
				_("No guardian email on student {0}: nobody was notified.").format(self.student or "-"),
				alert=True,
			)
			return
		amount = fmt_money(self.amount, currency=self.currency)
		try:
			self.queue_notification(guardian_email, approver_email, amount)
		except frappe.OutgoingEmailError:
			# a credit is not refused because the site cannot send mail; say so instead
			frappe.clear_last_message()
			frappe.msgprint(
				_("No outgoing Email Account is set up: the guardian was not notified."), alert=True
			)

	def queue_notification(self, guardian_email, approver_email, amount):
		frappe.sendmail(
			recipients=[guardian_email] if guardian_email else [approver_email],
			cc=[approver_email] if guardian_email and approver_email else [],
			subject=_("Credit of {0} added for {1}").format(amount, self.student_name or self.customer),
			message=_(
				"A credit of {0} ({1}) was added to the fee account of {2} on {3}.{4} It can be used "
				"to pay fee invoices. Reference: {5}."
			).format(
				amount,
				_(self.reason_type),
				frappe.bold(self.student_name or self.customer),
				frappe.format(self.posting_date, "Date"),
				f" {frappe.utils.escape_html(self.reason)}" if self.reason else "",
				self.name,
			),
			reference_doctype=self.doctype,
			reference_name=self.name,
		)


def holds_approver_role(user: str) -> bool:
	if not user or not frappe.db.get_value("User", user, "enabled"):
		return False
	return any(role in APPROVER_ROLES for role in frappe.get_roles(user))
