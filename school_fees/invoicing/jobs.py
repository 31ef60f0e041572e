"""Daily jobs on Fee Invoices (scheduler_events in hooks.py).

Each job takes an optional `as_of` date (default today) and `company` (default: every school), is
idempotent (running it twice the same day changes nothing the second time), works invoice by
invoice inside a savepoint so one bad invoice is logged (Error Log) and skipped without stopping
the rest, and commits after every invoice: issuing an invoice that open credit pays, or charging a
late fee, numbers a new document from its naming series, whose row Frappe keeps locked until commit
(payments.bulk says why a lock must not outlive its document: a cashier numbering a document of the
same series would wait for the whole batch).
"""

from collections.abc import Callable

import frappe
from frappe import _
from frappe.utils import getdate, nowdate

from school_fees.core.status import ISSUED, OVERDUE, PARTIALLY_PAID
from school_fees.invoicing.late_fees import charge_late_fee
from school_fees.ledger.writeback import refresh_fee_invoice
from school_fees.settings import setting_enabled

FEE_INVOICE = "Fee Invoice"


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
	return name if refresh_fee_invoice(name, as_of) != before else None


# ---------------------------------------------------------------- plumbing


def process_invoices(names: list[str], action: Callable, as_of, error_title: str) -> list:
	"""Run `action(name, as_of)` on every invoice, each in its own savepoint: a failure is rolled
	back to the savepoint, written to the Error Log, and the next invoice goes on. Commits after
	every invoice (module docstring). Returns the non-empty results."""
	results = []
	for name in names:
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
	"""Commit one invoice's work. The integration suite runs each test in one transaction that it
	rolls back, so the jobs do not commit under it (frappe.flags.in_test)."""
	if not frappe.flags.in_test:
		frappe.db.commit()
