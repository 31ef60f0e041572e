# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt
"""Fee Reminder Log: one row per reminder sent, skipped or failed (written by school_fees.reminders).

A sent row (and a skipped one) carries a unique `reminder_key` (invoice | stage | channel): the
database refuses a second row with the same key, so a stage reaches a guardian at most once per
channel even when two processes send at the same moment. A failed row has no key: the next run
tries again."""

import frappe
from frappe import _
from frappe.model.document import Document


class ReminderLogImmutableError(frappe.ValidationError):
	pass


class FeeReminderLog(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		as_of: DF.Date | None
		billing_run: DF.Link | None
		channel: DF.Literal["Email", "SMS"]
		company: DF.Link | None
		days_after_due: DF.Int
		email_queue: DF.Link | None
		fee_invoice: DF.Link | None
		reason: DF.SmallText | None
		recipient: DF.Data | None
		reminder_key: DF.Data | None
		reminder_type: DF.Literal["Stage", "Manual", "Billing Run"]
		sent_on: DF.Datetime | None
		stage: DF.Data | None
		status: DF.Literal["Sent", "Skipped", "Failed"]
		student: DF.Link | None
		user: DF.Link | None
	# end: auto-generated types

	def validate(self):
		if not self.is_new():
			frappe.throw(_("Fee Reminder Log entries cannot be changed."), ReminderLogImmutableError)
