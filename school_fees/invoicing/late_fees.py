"""Late fees: what an overdue invoice has earned since its last charge, as a separate late-fee
invoice linked to it (core.late_fees has the rule; the billing key of each charged period makes a
second charge of the same period impossible, even from two processes)."""

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Sum
from frappe.utils import cint, getdate

from school_fees import audit
from school_fees.core.billing import late_fee_billing_key
from school_fees.core.late_fees import LateFeeRule, chargeable_periods, late_fee_increment
from school_fees.core.money import to_decimal
from school_fees.invoicing.keys import insert_invoice
from school_fees.ledger.balances import lock_rows, receivable_balance
from school_fees.ledger.posting import currency_precision

FEE_INVOICE = "Fee Invoice"


def charge_late_fee(name: str, as_of) -> str | None:
	"""Create and submit the late-fee invoice for what `name` has earned since the last charge."""
	lock_rows(FEE_INVOICE, [name])
	invoice = frappe.get_doc(FEE_INVOICE, name)
	outstanding = receivable_balance(FEE_INVOICE, name)
	if invoice.docstatus != 1 or outstanding <= 0:
		return None
	structure = frappe.get_cached_doc("Fee Structure", invoice.fee_structure)
	rule = late_fee_rule(structure)
	days_overdue = (as_of - getdate(invoice.due_date)).days
	precision = currency_precision(invoice.company)
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
