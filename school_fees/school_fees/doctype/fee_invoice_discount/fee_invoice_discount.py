# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

from frappe.model.document import Document


class FeeInvoiceDiscount(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		discount_type: DF.Data | None
		fee_discount: DF.Link | None
		fee_head: DF.Link | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		priority: DF.Int
		value: DF.Float
	# end: auto-generated types

	pass
