"""Trust Rollup: one row per school of a trust (a group Company; a single school gives one row).

For the Fee Invoices posted in the window (and of the term, when one is chosen): ``billed`` (their
grand totals), ``collected`` (what receipts, credit or deposits settled on them), ``outstanding``
(what they still owe as the ledger stands at the window's end), ``overdue`` (the outstanding of
those due before the window's end, or before today when the window ends later) and
``collection_rate`` (collected / billed). Figures come from the Payment Ledger rows against the
invoices (ledger.reconciliation.school_figures), one GROUP BY for all schools. The workspace's
number cards (school_fees.number_cards) read the same figures.
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt, getdate, nowdate

from school_fees.core.money import ZERO, quantize
from school_fees.ledger.reconciliation import school_figures
from school_fees.permissions import check_school_access, readable_schools, sections_of

MONEY_FIELDS = ("billed", "collected", "outstanding", "overdue")


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_school_access(filters.company)
	schools = readable_schools(filters.company)
	if filters.academic_term:
		term_start, term_end = frappe.db.get_value(
			"Academic Term", filters.academic_term, ["start_date", "end_date"]
		)
		filters.from_date = filters.from_date or term_start
		filters.to_date = filters.to_date or term_end
	if filters.from_date and filters.to_date and getdate(filters.from_date) > getdate(filters.to_date):
		frappe.throw(_("From Date must be before To Date."))

	figures = school_figures(
		schools,
		from_date=filters.from_date,
		to_date=filters.to_date,
		academic_terms=[filters.academic_term] if filters.academic_term else None,
		sections=sections_of(),
		overdue_on=overdue_reference_date(filters.to_date),
	)
	currencies = school_currencies(schools)
	data = [make_row(school, figures.get(school), currencies[school]) for school in schools]
	one_currency = len(set(currencies.values())) <= 1
	message = None
	if not one_currency:
		message = _("The schools keep their books in different currencies: no totals across them.")
	currency = next(iter(currencies.values()), None)
	return (
		get_columns(),
		data,
		message,
		get_chart(data, currency) if one_currency and data else None,
		get_summary(data, currency) if one_currency and data else None,
	)


def overdue_reference_date(to_date=None):
	"""Overdue means due before the window's end, or before today when the window ends later."""
	today = getdate(nowdate())
	return min(getdate(to_date), today) if to_date else today


def school_currencies(schools: list[str]) -> dict[str, str]:
	return {school: frappe.get_cached_value("Company", school, "default_currency") for school in schools}


def collection_rate(collected: Decimal, billed: Decimal) -> Decimal:
	"""Collected as a percentage of billed (0 when nothing was billed)."""
	return quantize(collected * 100 / billed) if billed else ZERO


def make_row(school: str, figures: frappe._dict | None, currency: str) -> dict:
	figures = figures or frappe._dict(
		billed=ZERO,
		collected=ZERO,
		outstanding=ZERO,
		overdue=ZERO,
		overdue_invoices=0,
		invoices=0,
		students=0,
	)
	row = {field: flt(figures[field]) for field in MONEY_FIELDS}
	row.update(
		company=school,
		currency=currency,
		students=figures.students,
		invoices=figures.invoices,
		overdue_invoices=figures.overdue_invoices,
		collection_rate=flt(collection_rate(figures.collected, figures.billed)),
	)
	return row


def get_columns() -> list[dict]:
	def money(fieldname, label):
		return {
			"fieldname": fieldname,
			"label": label,
			"fieldtype": "Currency",
			"options": "currency",
			"width": 140,
		}

	return [
		{
			"fieldname": "company",
			"label": _("School"),
			"fieldtype": "Link",
			"options": "Company",
			"width": 220,
		},
		{"fieldname": "students", "label": _("Students"), "fieldtype": "Int", "width": 90},
		{"fieldname": "invoices", "label": _("Invoices"), "fieldtype": "Int", "width": 90},
		money("billed", _("Billed")),
		money("collected", _("Collected")),
		money("outstanding", _("Outstanding")),
		money("overdue", _("Overdue")),
		{"fieldname": "overdue_invoices", "label": _("Overdue Invoices"), "fieldtype": "Int", "width": 120},
		{
			"fieldname": "collection_rate",
			"label": _("Collection Rate"),
			"fieldtype": "Percent",
			"precision": 2,
			"width": 120,
		},
		# Data, not a Link: the report keeps a Link column's rows only for users who may read Currency
		{"fieldname": "currency", "label": _("Currency"), "fieldtype": "Data", "hidden": 1},
	]


def totals(data: list[dict]) -> dict[str, Decimal]:
	return {field: quantize(sum((Decimal(str(row[field])) for row in data), ZERO)) for field in MONEY_FIELDS}


def get_summary(data: list[dict], currency: str) -> list[dict]:
	total = totals(data)
	rate = collection_rate(total["collected"], total["billed"])
	return [
		{"value": flt(total["billed"]), "label": _("Billed"), "datatype": "Currency", "currency": currency},
		{
			"value": flt(total["collected"]),
			"label": _("Collected"),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Green",
		},
		{
			"value": flt(total["outstanding"]),
			"label": _("Outstanding"),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Orange" if total["outstanding"] else "Green",
		},
		{
			"value": flt(total["overdue"]),
			"label": _("Overdue"),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Red" if total["overdue"] else "Green",
		},
		{"value": flt(rate), "label": _("Collection Rate"), "datatype": "Percent", "indicator": "Blue"},
	]


def get_chart(data: list[dict], currency: str) -> dict:
	return {
		"data": {
			"labels": [row["company"] for row in data],
			"datasets": [
				{"name": _("Billed"), "values": [row["billed"] for row in data]},
				{"name": _("Collected"), "values": [row["collected"] for row in data]},
				{"name": _("Outstanding"), "values": [row["outstanding"] for row in data]},
				{"name": _("Overdue"), "values": [row["overdue"] for row in data]},
			],
		},
		"type": "bar",
		"colors": ["#5e64ff", "#29cd42", "#ffa00a", "#ff5858"],
		"fieldtype": "Currency",
		"options": "currency",
		"currency": currency,
	}
