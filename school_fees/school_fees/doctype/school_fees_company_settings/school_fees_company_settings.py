# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

from frappe.model.document import Document


class SchoolFeesCompanySettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		cancelled_class_account: DF.Link | None
		company: DF.Link
		concession_account: DF.Link | None
		cost_center: DF.Link | None
		deposit_account: DF.Link | None
		discount_account: DF.Link | None
		income_account: DF.Link | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		receivable_account: DF.Link
		scholarship_account: DF.Link | None
		write_off_account: DF.Link | None
	# end: auto-generated types
	pass
