# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.accounts import validate_account, validate_cost_center


class DuplicateFeeHeadAccountError(frappe.ValidationError):
	pass


class FeeHead(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.fee_head_account.fee_head_account import FeeHeadAccount

		accounts: DF.Table[FeeHeadAccount]
		description: DF.SmallText | None
		fee_head_name: DF.Data
		is_late_fee: DF.Check

	# end: auto-generated types
	def validate(self):
		self.strip_name()
		self.validate_one_row_per_company()
		self.validate_accounts()

	def strip_name(self):
		self.fee_head_name = (self.fee_head_name or "").strip()

	def validate_one_row_per_company(self):
		seen = {}
		for row in self.accounts:
			if row.company in seen:
				frappe.throw(
					_(
						"Fee Head {0}: company {1} appears in rows #{2} and #{3}; keep one row per company."
					).format(
						frappe.bold(self.fee_head_name), frappe.bold(row.company), seen[row.company], row.idx
					),
					DuplicateFeeHeadAccountError,
					title=_("Duplicate Company"),
				)
			seen[row.company] = row.idx

	def validate_accounts(self):
		for row in self.accounts:
			context = _("Fee Head {0}, row #{1}").format(frappe.bold(self.fee_head_name), row.idx)
			validate_account(
				row.income_account, row.company, context, _("Income Account"), root_type="Income"
			)
			validate_cost_center(row.cost_center, row.company, context)
