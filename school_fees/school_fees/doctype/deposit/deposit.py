# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import flt

from school_fees.accounts import get_mode_of_payment_account
from school_fees.controllers.voucher import FeeVoucher
from school_fees.ledger.posting import VoucherEntries
from school_fees.ledger.writeback import refresh_deposit
from school_fees.payments.allocation import check_not_used, validate_student_customer
from school_fees.payments.deposits import deposit_history
from school_fees.settings import get_company_settings


class DepositError(frappe.ValidationError):
	"""A Deposit is incomplete or inconsistent."""


class Deposit(FeeVoucher):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amended_from: DF.Link | None
		amount: DF.Currency
		approved_by: DF.Link | None
		clearance_date: DF.Date | None
		company: DF.Link
		cost_center: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		deposit_account: DF.Link | None
		deposit_type: DF.Literal["Security", "Registration", "Advance Fee"]
		description: DF.SmallText | None
		history_html: DF.HTML | None
		mode_of_payment: DF.Link | None
		naming_series: DF.Literal["DEP-.YYYY.-"]
		paid_to: DF.Link
		posting_date: DF.Date
		reference_date: DF.Date | None
		reference_no: DF.Data | None
		remaining_amount: DF.Currency
		student: DF.Link | None
		student_name: DF.Data | None
	# end: auto-generated types

	def onload(self):
		self.set_onload("history", deposit_history(self.name) if not self.is_new() else [])

	def validate(self):
		self.set_missing_values()
		self.round_money()
		self.validate_amount()
		self.validate_student()

	def before_cancel(self):
		check_not_used(self)

	def refresh_from_ledger(self):
		self.remaining_amount = flt(refresh_deposit(self.name))

	# ------------------------------------------------------------ validate steps

	def set_missing_values(self):
		self.set_party_from_student(DepositError)
		settings = get_company_settings(self.company)
		self.deposit_account = settings.deposit_account
		self.cost_center = self.cost_center or settings.cost_center
		self.set_company_currency()
		if self.mode_of_payment and not self.paid_to:
			self.paid_to = get_mode_of_payment_account(self.mode_of_payment, self.company)

	def validate_amount(self):
		if flt(self.amount) <= 0:
			frappe.throw(_("The deposit amount must be above zero."), DepositError)

	def validate_student(self):
		validate_student_customer(self, DepositError)

	# ------------------------------------------------------------ ledger

	def get_gl_entries(self):
		"""Dr cash/bank / Cr the deposit liability with the customer, against this Deposit (the
		liability has no account type: no Payment Ledger Entry, but the party shows in the GL)."""
		gl = VoucherEntries(self, cost_center=self.cost_center)
		gl.debit(self.paid_to, self.amount)
		gl.credit(self.deposit_account, self.amount, party=self.customer, against=(self.doctype, self.name))
		return gl.rows
