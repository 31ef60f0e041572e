# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt
"""One stage of a school's reminder schedule (a row of School Fees Settings.reminder_stages); what a
stage means is in school_fees.reminders."""

from frappe.model.document import Document


class FeeReminderStage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company: DF.Link | None
		days: DF.Int
		email: DF.Check
		email_template: DF.Link | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		sms: DF.Check
		sms_template: DF.SmallText | None
		timing: DF.Literal["Before Due Date", "On Due Date", "After Due Date"]
	# end: auto-generated types
	pass
