# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.setup.accounts import validate_account, validate_cost_center


class DuplicateCompanySettingsError(frappe.ValidationError):
	pass


class SchoolFeesSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.school_fees_company_settings.school_fees_company_settings import (
			SchoolFeesCompanySettings,
		)

		apply_late_fees: DF.Check
		auto_apply_credit: DF.Check
		auto_issue_invoices: DF.Check
		bulk_job_threshold: DF.Int
		company_settings: DF.Table[SchoolFeesCompanySettings]
		mark_overdue: DF.Check
		send_reminders: DF.Check

	# end: auto-generated types
	def validate(self):
		self.validate_one_row_per_company()
		self.validate_company_accounts()
		self.validate_bulk_job_threshold()

	def validate_one_row_per_company(self):
		seen = set()
		for row in self.company_settings:
			if row.company in seen:
				frappe.throw(
					_("Row #{0}: company {1} already has a row in this table.").format(
						row.idx, frappe.bold(row.company)
					),
					DuplicateCompanySettingsError,
				)
			seen.add(row.company)

	def validate_company_accounts(self):
		for row in self.company_settings:
			validate_company_settings_row(row)

	def validate_bulk_job_threshold(self):
		if self.bulk_job_threshold is not None and self.bulk_job_threshold < 1:
			frappe.throw(_("Bulk Job Threshold must be at least 1 document."))


def validate_company_settings_row(row):
	"""Check that every account and the cost center of a company row belong to that company and have
	the kind the ledger needs.

	- receivable: a Receivable ledger account (the fee sub-ledger's control account);
	- deposit: a Liability account that is neither Receivable nor Payable, so deposits stay off the
	  Payment Ledger while keeping the party on their GL rows;
	- income fallback: an Income account; credit, write-off and discount accounts: profit and loss.
	"""
	context = _("School Fees Settings, company {0}").format(frappe.bold(row.company))
	validate_account(
		row.receivable_account, row.company, context, _("Receivable Account"), account_type="Receivable"
	)
	validate_account(row.income_account, row.company, context, _("Income Account"), root_type="Income")
	validate_account(
		row.deposit_account,
		row.company,
		context,
		_("Deposit Account"),
		root_type="Liability",
		forbidden_account_types=("Receivable", "Payable"),
	)
	for fieldname in (
		"discount_account",
		"concession_account",
		"scholarship_account",
		"cancelled_class_account",
		"write_off_account",
	):
		validate_account(
			row.get(fieldname),
			row.company,
			context,
			_(row.meta.get_label(fieldname)),
			report_type="Profit and Loss",
		)
	validate_cost_center(row.cost_center, row.company, context)
