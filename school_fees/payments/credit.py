"""Open credit of a customer: finding it, applying it automatically, issuing it in bulk.

Open credit is every voucher on the fee receivable whose Payment Ledger balance against itself is
negative (core.payment_types.CREDIT_SOURCES); it is planned oldest first (core.credits). With
School Fees Settings.auto_apply_credit on, a newly issued invoice is paid from it at once, one
Apply Credit allocation per source.

Lock order of an invoice paid from credit: every voucher takes its naming series (Frappe locks the
series' counter row in tabSeries until commit) before the ledger rows its submit locks. Submitting a
Fee Invoice posts it and then reads its ledger rows with a locking read (ledger.writeback), which
also locks the index gap next to them; the Apply Credit allocations are made after that
(auto_apply_credit, on_submit). Numbered there, the invoice would wait for the Apply Credit series
while holding that gap, and a user applying credit to the neighbouring invoice (holding the series,
inserting their ledger row into the gap) would wait for the invoice: a deadlock. So when the invoice
will draw on open credit, `lock_credit_series` (before_submit) takes the Apply Credit series first.
The bulk billing path (apply_open_credit_to_issued) needs no such step: before it applies credit its
transaction holds only the invoice series and rows it inserted, never a locking read of the ledger.
"""

import json

import frappe
from frappe import _
from frappe.model.naming import NamingSeries
from frappe.utils import flt, getdate

from school_fees.core.credits import CreditSource, plan_credit_application
from school_fees.core.money import to_decimal
from school_fees.core.payment_types import APPLY_CREDIT, CREDIT_SOURCES
from school_fees.ledger.balances import (
	liability_balance,
	open_credits,
	parties_with_open_credit,
	receivable_balance,
)
from school_fees.payments.allocation import PaymentAllocationError, available_credit, source_label
from school_fees.payments.bulk import parse_students, submit_per_student
from school_fees.settings import get_company_settings, setting_enabled


def open_credit_sources(company: str, customer: str) -> list[CreditSource]:
	"""Every open credit of the customer on the fee receivable (oldest first when planned)."""
	settings = get_company_settings(company)
	sources = []
	for row in open_credits(company, customer, settings.receivable_account, CREDIT_SOURCES):
		available = row.credit
		if row.voucher_type == "Payment Entry":
			available = available_credit(company, customer, row.voucher_type, row.voucher_no)
		if available > 0:
			sources.append(
				CreditSource(
					key=source_key(row.voucher_type, row.voucher_no),
					available=available,
					posting_date=getdate(row.posting_date),
				)
			)
	return sources


def source_key(doctype: str, name: str) -> str:
	return f"{doctype}::{name}"


def split_source_key(key: str) -> tuple[str, str]:
	doctype, name = key.split("::", 1)
	return doctype, name


# ---------------------------------------------------------------- automatic use of open credit


def lock_credit_series(doc, method=None) -> None:
	"""Fee Invoice before_submit: when open credit will pay the invoice on submit, take the Apply
	Credit series now, before posting locks the invoice's ledger rows (module docstring). The same
	snapshot decides here and in auto_apply_credit whether there is credit to apply."""
	if not setting_enabled("auto_apply_credit") or not open_credit_sources(doc.company, doc.customer):
		return
	allocation = frappe.get_doc({"doctype": "Payment Allocation", "allocation_type": APPLY_CREDIT})
	allocation.run_method("before_naming")  # the allocation's type decides its series
	series = frappe.qb.DocType("Series")
	prefix = NamingSeries(allocation.naming_series).get_prefix()
	frappe.qb.from_(series).select(series.current).where(series.name == prefix).for_update().run()


def auto_apply_credit(doc, method=None) -> list[str]:
	"""Fee Invoice on_submit: when School Fees Settings.auto_apply_credit is on, pay the new invoice
	from the customer's open credit, oldest credit first, with one Apply Credit allocation per
	source, until the invoice is paid or the credit runs out. Returns the allocations made."""
	if not setting_enabled("auto_apply_credit"):
		return []
	outstanding = receivable_balance("Fee Invoice", doc.name)
	if outstanding <= 0:
		return []
	sources = {source.key: source for source in open_credit_sources(doc.company, doc.customer)}
	made = []
	for part in plan_credit_application(outstanding, list(sources.values())):
		source_doctype, source_name = split_source_key(part.key)
		allocation = frappe.get_doc(
			{
				"doctype": "Payment Allocation",
				"allocation_type": APPLY_CREDIT,
				"company": doc.company,
				"customer": doc.customer,
				"student": doc.student,
				"posting_date": max(getdate(doc.posting_date), sources[part.key].posting_date),
				"source_doctype": source_doctype,
				"source_name": source_name,
				"remarks": _("Open credit applied automatically to {0}").format(doc.name),
				"allocations": [{"fee_invoice": doc.name, "allocated_amount": flt(part.amount)}],
			}
		)
		allocation.flags.ignore_permissions = True
		# Issuing the invoice must not fail because one credit could not be applied (a closed
		# accounting period, a source cancelled meanwhile): that credit stays open, and is reported.
		frappe.db.savepoint("auto_apply_credit")
		try:
			allocation.insert()
			allocation.submit()
		except frappe.ValidationError:
			frappe.db.rollback(save_point="auto_apply_credit")
			frappe.clear_last_message()
			frappe.log_error(
				title=_("Open credit not applied to {0}").format(doc.name),
				reference_doctype=doc.doctype,
				reference_name=doc.name,
			)
			frappe.msgprint(
				_("Open credit from {0} could not be applied to {1}; see the Error Log.").format(
					source_label(source_doctype, source_name), doc.name
				),
				alert=True,
			)
			continue
		made.append(allocation.name)
	return made


def apply_open_credit_to_issued(invoices: list) -> None:
	"""The bulk billing path issues invoices without their on_submit hook: with auto_apply_credit
	on, apply open credit to the new invoices of the customers who hold any, oldest due first
	(one query finds them; nothing is read when the setting is off)."""
	if not invoices or not setting_enabled("auto_apply_credit"):
		return
	company = invoices[0].company
	holders = parties_with_open_credit(
		company,
		get_company_settings(company).receivable_account,
		{doc.customer for doc in invoices},
		CREDIT_SOURCES,
	)
	in_order = sorted(
		(doc for doc in invoices if doc.customer in holders),
		key=lambda doc: (getdate(doc.due_date), getdate(doc.posting_date), doc.name),
	)
	for doc in in_order:
		auto_apply_credit(doc)


# ---------------------------------------------------------------- credit notes in bulk


@frappe.whitelist(methods=["POST"])
def make_credit_notes(
	students: list | str,
	amount: float | str,
	posting_date: str,
	reason_type: str,
	reason: str | None = None,
	approved_by: str | None = None,
	notify_guardian: int | str = 0,
) -> dict:
	"""Create and submit one Credit Note of `amount` per student (Student list / Credit Note list
	action). Each student is done on its own savepoint: a student that fails is reported with its
	error and the others are still credited. Returns {"created": [names], "failed": [{student, error}]}."""
	frappe.has_permission("Credit Note", "create", throw=True)
	frappe.has_permission("Credit Note", "submit", throw=True)
	amount = to_decimal(str(amount))
	if amount <= 0:
		frappe.throw(_("The credit amount must be above zero."), PaymentAllocationError)

	return submit_per_student(
		parse_students(students),
		"make_credit_note",
		lambda student: {
			"doctype": "Credit Note",
			"student": student,
			"company": frappe.db.get_value("Student", student, "company"),
			"amount": flt(amount),
			"posting_date": posting_date,
			"reason_type": reason_type,
			"reason": reason,
			"approved_by": approved_by,
			"notify_guardian": int(notify_guardian or 0),
		},
	)


# ---------------------------------------------------------------- the desk's look-ups


@frappe.whitelist()
def get_available_credit(company: str, customer: str, source_doctype: str, source_name: str) -> float:
	"""Open credit (or held deposit) a source can still give, for the Payment Allocation form."""
	frappe.has_permission(source_doctype, "read", doc=source_name, throw=True)
	return flt(available_credit(company, customer, source_doctype, source_name))


@frappe.whitelist()
def get_open_credit_sources(company: str, customer: str) -> list[dict]:
	"""The customer's open credits and held deposits, oldest first, for the Payment Allocation form."""
	frappe.has_permission("Payment Allocation", "read", throw=True)
	rows = []
	for source in sorted(open_credit_sources(company, customer), key=lambda s: (s.posting_date, s.key)):
		doctype, name = split_source_key(source.key)
		rows.append(
			{
				"source_doctype": doctype,
				"source_name": name,
				"available": flt(source.available),
				"posting_date": source.posting_date,
			}
		)
	for name, posting_date, account in frappe.get_all(
		"Deposit",
		filters={"company": company, "customer": customer, "docstatus": 1, "remaining_amount": (">", 0)},
		fields=["name", "posting_date", "deposit_account"],
		order_by="posting_date, name",
		as_list=True,
	):
		held = liability_balance(account, "Deposit", name)
		if held > 0:
			rows.append(
				{
					"source_doctype": "Deposit",
					"source_name": name,
					"available": flt(held),
					"posting_date": posting_date,
				}
			)
	return rows
