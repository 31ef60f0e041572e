# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.accounts import validate_company_settings_row
from school_fees.reminders import ON_DUE, stage_label, stage_offset


class DuplicateCompanySettingsError(frappe.ValidationError):
	pass


class ReminderStageError(frappe.ValidationError):
	pass


class SchoolFeesSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.fee_reminder_stage.fee_reminder_stage import FeeReminderStage
		from school_fees.school_fees.doctype.school_fees_company_settings.school_fees_company_settings import (
			SchoolFeesCompanySettings,
		)

		apply_late_fees: DF.Check
		auto_apply_credit: DF.Check
		auto_issue_invoices: DF.Check
		billing_run_email_template: DF.Link | None
		bulk_job_threshold: DF.Int
		company_settings: DF.Table[SchoolFeesCompanySettings]
		mark_overdue: DF.Check
		reminder_stages: DF.Table[FeeReminderStage]
		send_reminders: DF.Check

	# end: auto-generated types
	def validate(self):
		self.validate_one_row_per_company()
		self.validate_company_accounts()
		self.validate_bulk_job_threshold()
		self.validate_reminder_stages()

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

	def validate_reminder_stages(self):
		"""Days count for stages before or after the due date (at least 1); one stage per school and day."""
		seen = set()
		for row in self.reminder_stages:
			if row.timing == ON_DUE:
				row.days = 0
			elif (row.days or 0) < 1:
				frappe.throw(
					_("Reminder stage row #{0}: give how many days {1} (at least 1).").format(
						row.idx, _(row.timing).lower()
					),
					ReminderStageError,
				)
			key = (row.company or "", stage_offset(row.timing, row.days))
			if key in seen:
				frappe.throw(
					_('Reminder stage row #{0}: {1} already has a stage "{2}".').format(
						row.idx, frappe.bold(row.company or _("Every school")), stage_label(key[1])
					),
					ReminderStageError,
				)
			seen.add(key)
