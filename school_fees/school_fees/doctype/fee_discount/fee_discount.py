# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.core.discounts import AMOUNT, HUNDRED, PERCENTAGE
from school_fees.core.money import to_decimal


class InvalidDiscountError(frappe.ValidationError):
	pass


class FeeDiscount(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.fee_discount_head.fee_discount_head import FeeDiscountHead

		company: DF.Link | None
		disabled: DF.Check
		discount_name: DF.Data
		discount_type: DF.Literal["Percentage", "Amount"]
		fee_heads: DF.Table[FeeDiscountHead]
		priority: DF.Int
		value: DF.Float

	# end: auto-generated types
	def validate(self):
		self.strip_name()
		self.validate_value()
		self.validate_priority()
		self.remove_duplicate_heads()

	def strip_name(self):
		self.discount_name = (self.discount_name or "").strip()

	def validate_value(self):
		value = to_decimal(self.value)
		if self.discount_type == PERCENTAGE and not (0 < value <= HUNDRED):
			self.throw(
				_(
					"Fee Discount {0}: a percentage discount must be more than 0 and at most 100, not {1}."
				).format(frappe.bold(self.discount_name), self.value)
			)
		if self.discount_type == AMOUNT and value <= 0:
			self.throw(
				_("Fee Discount {0}: an amount discount must be more than 0, not {1}.").format(
					frappe.bold(self.discount_name), self.value
				)
			)

	def validate_priority(self):
		if (self.priority or 0) < 0:
			self.throw(
				_("Fee Discount {0}: the priority must not be negative.").format(
					frappe.bold(self.discount_name)
				)
			)

	def remove_duplicate_heads(self):
		"""A fee head listed twice counts once; keep the first row."""
		seen = set()
		rows = []
		for row in self.fee_heads:
			if row.fee_head not in seen:
				seen.add(row.fee_head)
				rows.append(row)
		if len(rows) != len(self.fee_heads):
			self.set("fee_heads", rows)
			for idx, row in enumerate(rows, start=1):
				row.idx = idx

	def throw(self, message):
		frappe.throw(message, InvalidDiscountError, title=_("Invalid Discount"))
