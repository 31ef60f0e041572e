"""Daily jobs on Fee Invoices (scheduler_events in hooks.py).

Each job takes an optional `as_of` date (default today) and `company` (default: every school), is
idempotent (running it twice the same day changes nothing the second time), works invoice by
invoice inside a savepoint so one bad invoice is logged (Error Log) and skipped without stopping
the rest, and commits per batch.
"""

from collections.abc import Callable

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Sum
from frappe.utils import cint, getdate, nowdate

from school_fees import audit, ledger
from school_fees.core.late_fees import LateFeeRule, chargeable_periods, late_fee_increment
from school_fees.core.money import to_decimal
from school_fees.core.status import ISSUED, OVERDUE, PARTIALLY_PAID
from school_fees.invoicing import FEE_INVOICE, insert_invoice, late_fee_billing_key

SETTINGS = "School Fees Settings"
BATCH_SIZE = 100


# ---------------------------------------------------------------- the jobs


def issue_due_invoices(as_of=None, company: str | None = None) -> list[str]:
	"""Submit (issue) Draft invoices whose invoice date has come, when auto-issue is on (all
	schools, or only `company`)."""
	if not setting_enabled("auto_issue_invoices"):
		return []
	as_of = getdate(as_of or nowdate())
	filters = {"docstatus": 0, "posting_date": ("<=", as_of)}
	if company:
		filters["company"] = company
	names = frappe.get_all(
		FEE_INVOICE,
		filters=filters,
		order_by="posting_date, name",
		pluck="name",
	)
	return process_invoices(names, issue_invoice, as_of, _("Fee Invoice could not be issued"))


def mark_overdue_invoices(as_of=None, company: str | None = None) -> list[str]:
	"""Flip issued invoices past their due date to Overdue, and Overdue ones that are paid or not
	yet due (as of `as_of`) back, when the setting is on. Statuses come from the ledger. Returns
	the invoices whose status changed."""
	if not setting_enabled("mark_overdue"):
		return []
	as_of = getdate(as_of or nowdate())
	fi = frappe.qb.DocType(FEE_INVOICE)
	query = (
		frappe.qb.from_(fi)
		.select(fi.name)
		.where(
			(fi.docstatus == 1)
			& (
				(fi.status.isin([ISSUED, PARTIALLY_PAID]) & (fi.due_date < as_of))
				| ((fi.status == OVERDUE) & ((fi.due_date >= as_of) | (fi.outstanding_amount <= 0)))
			)
		)
		.orderby(fi.due_date)
		.orderby(fi.name)
	)
	if company:
		query = query.where(fi.company == company)
	names = query.run(pluck=True)
	return process_invoices(names, refresh_status, as_of, _("Fee Invoice status could not be updated"))


def apply_late_fees(as_of=None, company: str | None = None) -> list[str]:
	"""Charge the late fee earned so far by each overdue invoice whose fee structure has a late-fee
	rule, as a separate late-fee invoice linked to it. Returns the late-fee invoices created."""
	if not setting_enabled("apply_late_fees"):
		return []
	as_of = getdate(as_of or nowdate())
	fi = frappe.qb.DocType(FEE_INVOICE)
	fs = frappe.qb.DocType("Fee Structure")
	query = (
		frappe.qb.from_(fi)
		.join(fs)
		.on(fs.name == fi.fee_structure)
		.select(fi.name)
		.where(
			(fi.docstatus == 1)
			& (fi.is_late_fee == 0)
			& (fi.outstanding_amount > 0)
			& (fi.due_date < as_of)
			& (fs.late_fee_applicable == 1)
		)
		.orderby(fi.due_date)
		.orderby(fi.name)
	)
	if company:
		query = query.where(fi.company == company)
	names = query.run(pluck=True)
	created = process_invoices(names, charge_late_fee, as_of, _("Late fee could not be applied"))
	return [name for name in created if name]


# ---------------------------------------------------------------- one invoice each


def issue_invoice(name: str, as_of) -> str | None:
	doc = frappe.get_doc(FEE_INVOICE, name)
	if doc.docstatus != 0:
		return None
	doc.flags.ignore_permissions = True
	doc.flags.status_as_of = as_of
	doc.submit()
	return name


def refresh_status(name: str, as_of) -> str | None:
	"""Recompute the invoice's status from the ledger as of `as_of`; its name when it changed."""
	before = frappe.db.get_value(FEE_INVOICE, name, "status")
	return name if ledger.refresh_fee_invoice(name, as_of) != before else None


def charge_late_fee(name: str, as_of) -> str | None:
	"""Create and submit the late-fee invoice for what `name` has earned since the last charge."""
	ledger.lock_rows(FEE_INVOICE, [name])
	invoice = frappe.get_doc(FEE_INVOICE, name)
	outstanding = ledger.receivable_balance(FEE_INVOICE, name)
	if invoice.docstatus != 1 or outstanding <= 0:
		return None
	structure = frappe.get_cached_doc("Fee Structure", invoice.fee_structure)
	rule = late_fee_rule(structure)
	days_overdue = (as_of - getdate(invoice.due_date)).days
	precision = ledger.currency_precision(invoice.company)
	already = late_fees_charged(name)
	increment = late_fee_increment(rule, invoice.grand_total, days_overdue, already, precision)
	if increment <= 0:
		return None
	if not structure.late_fee_head:
		frappe.throw(
			_("Fee Structure {0} charges late fees but has no Late Fee Head.").format(structure.name)
		)
	periods = chargeable_periods(rule, days_overdue)
	late_fee = make_late_fee_invoice(
		invoice, structure.late_fee_head, increment, as_of, periods, days_overdue
	)
	audit.log(
		FEE_INVOICE,
		name,
		"Late Fee",
		invoice.status,
		invoice.status,
		_("Late fee {0} charged by {1} ({2} days overdue, {3} period(s) charged in total)").format(
			increment, late_fee.name, days_overdue, periods
		),
	)
	return late_fee.name


def make_late_fee_invoice(invoice, fee_head: str, amount, as_of, periods: int, days_overdue: int):
	doc = frappe.new_doc(FEE_INVOICE)
	doc.update(
		{
			"student": invoice.student,
			"customer": invoice.customer,
			"company": invoice.company,
			"grade": invoice.grade,
			"class_section": invoice.class_section,
			"academic_term": invoice.academic_term,
			"fee_structure": invoice.fee_structure,
			"installment": invoice.installment,
			"fee_group": invoice.fee_group,
			"posting_date": as_of,
			"due_date": as_of,
			"is_late_fee": 1,
			"late_fee_for": invoice.name,
			"billing_key": late_fee_billing_key(invoice.name, periods),
			"remarks": _("Late fee on {0} ({1} days overdue)").format(invoice.name, days_overdue),
		}
	)
	doc.append(
		"items",
		{
			"fee_head": fee_head,
			"description": _("Late fee on {0}").format(invoice.name),
			"amount": amount,
		},
	)
	insert_invoice(doc, ignore_permissions=True)
	doc.flags.ignore_permissions = True
	doc.flags.status_as_of = as_of
	doc.submit()
	return doc


def late_fee_rule(structure) -> LateFeeRule:
	return LateFeeRule(
		grace_days=cint(structure.late_fee_grace_days),
		charge_type=structure.late_fee_type or "Flat",
		value=to_decimal(structure.late_fee_value),
		frequency=structure.late_fee_frequency or "Once",
		cap=to_decimal(structure.late_fee_cap),
	)


def late_fees_charged(name: str):
	"""Sum of the live (not cancelled) late-fee invoices charged on invoice `name`."""
	fi = frappe.qb.DocType(FEE_INVOICE)
	value = (
		frappe.qb.from_(fi)
		.select(Coalesce(Sum(fi.grand_total), 0))
		.where((fi.late_fee_for == name) & (fi.is_late_fee == 1) & (fi.docstatus < 2))
	).run()[0][0]
	return to_decimal(value)


# ---------------------------------------------------------------- plumbing


def setting_enabled(fieldname: str) -> bool:
	"""A School Fees Settings switch; a switch never saved takes its default from the DocType."""
	values = frappe.db.get_singles_dict(SETTINGS)
	if fieldname in values and values[fieldname] is not None:
		return bool(cint(values[fieldname]))
	field = frappe.get_meta(SETTINGS).get_field(fieldname)
	return bool(cint(field.default)) if field else False


def process_invoices(names: list[str], action: Callable, as_of, error_title: str) -> list:
	"""Run `action(name, as_of)` on every invoice, each in its own savepoint: a failure is rolled
	back to the savepoint, written to the Error Log, and the next invoice goes on. Commits after
	every batch. Returns the non-empty results."""
	results = []
	for start in range(0, len(names), BATCH_SIZE):
		for name in names[start : start + BATCH_SIZE]:
			savepoint = "fee_invoice_job"
			frappe.db.savepoint(savepoint)
			try:
				result = action(name, as_of)
			except Exception:
				frappe.db.rollback(save_point=savepoint)
				frappe.log_error(title=error_title, reference_doctype=FEE_INVOICE, reference_name=name)
				frappe.clear_messages()
			else:
				frappe.db.release_savepoint(savepoint)
				if result:
					results.append(result)
		commit()
	return results


def commit() -> None:
	"""Commit a finished batch. The integration suite runs each test in one transaction that it
	rolls back, so the jobs do not commit under it (frappe.flags.in_test)."""
	if not frappe.flags.in_test:
		frappe.db.commit()
