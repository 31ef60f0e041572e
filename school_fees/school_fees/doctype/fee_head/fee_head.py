# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.setup.accounts import validate_account, validate_cost_center


class DuplicateFeeHeadAccountError(frappe.ValidationError):
	pass


class FeeHeadAccountMissingError(frappe.ValidationError):
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


def get_fee_head_account(fee_head: str, company: str) -> frappe._dict:
	"""Income account and cost center of ``fee_head`` for ``company``.

	The cost center is the row's, else the company's School Fees cost center, else the company's
	default cost center.

	Raises:
		FeeHeadAccountMissingError: the fee head has no income account for the company.
	"""
	row = frappe.db.get_value(
		"Fee Head Account",
		{"parent": fee_head, "parenttype": "Fee Head", "company": company},
		["income_account", "cost_center"],
		as_dict=True,
	)
	if not row or not row.income_account:
		frappe.throw(
			_(
				"Fee Head {0} has no income account for company {1}. Add a row for {1} in the "
				"fee head's Accounts table."
			).format(frappe.bold(fee_head), frappe.bold(company)),
			FeeHeadAccountMissingError,
			title=_("Income Account Missing"),
		)
	if not row.cost_center:
		row.cost_center = get_default_cost_center(company)
	return frappe._dict(income_account=row.income_account, cost_center=row.cost_center)


def get_default_cost_center(company: str) -> str | None:
	from school_fees.setup.settings import COMPANY_SETTINGS_DOCTYPE, company_settings_filters

	return frappe.db.get_value(
		COMPANY_SETTINGS_DOCTYPE, company_settings_filters(company), "cost_center"
	) or frappe.db.get_value("Company", company, "cost_center")
