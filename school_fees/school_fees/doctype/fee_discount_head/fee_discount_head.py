# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

from frappe.model.document import Document


class FeeDiscountHead(Document):
	pass
