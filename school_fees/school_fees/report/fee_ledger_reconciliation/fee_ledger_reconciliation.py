"""Fee Ledger Reconciliation: per school and customer, the open fee documents against the general
ledger (ledger.reconciliation has the rules).

- Fee receivable: ``documents_balance`` (``invoice_outstanding - open_credit``) against
  ``gl_balance``, the customer's balance on the school's fee receivable in GL Entry;
- deposits: ``deposits_held`` against ``deposit_gl_balance``, the customer's balance on the deposit
  account.

``difference`` is ``|gl_balance - documents_balance| + |deposit_gl_balance - deposits_held|``, so that
no difference can hide another; the Difference card adds it up and must read 0. Under every row that
does not reconcile come the vouchers that explain it (``voucher_type``, ``voucher_no``,
``explained_amount``: its signed part of that ledger's difference, ``explanation``); a row's
explanations add up to its ledgers' differences exactly.
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt

from school_fees.core.money import ZERO
from school_fees.ledger.reconciliation import RECEIVABLE, explain, reconcile
from school_fees.permissions import check_school_access, readable_schools, sections_of
from school_fees.school_fees.report.trust_rollup.trust_rollup import school_currencies

MONEY_FIELDS = (
	"invoice_outstanding",
	"open_credit",
	"documents_balance",
	"gl_balance",
	"deposits_held",
	"deposit_gl_balance",
)


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_school_access(filters.company)
	schools = readable_schools(filters.company)
	rows = reconcile(schools, filters.as_of_date, visible_parties(schools, filters.customer))
	unreconciled = [row for row in rows if difference(row)]
	explanations = explain(
		schools, [(row.company, row.party_type, row.party) for row in unreconciled], filters.as_of_date
	)
	currencies = school_currencies(schools)
	summary = get_summary(rows, unreconciled, currencies)
	message = None
	if unreconciled:
		message = _(
			"{0} of {1} customers do not reconcile; the vouchers listed under each explain the difference."
		).format(len(unreconciled), len(rows))
	if filters.differences_only:
		rows = unreconciled
	rows.sort(key=lambda row: (-difference(row), row.company, row.party))

	names = customer_names([row.party for row in rows if row.party_type == "Customer"])
	data = []
	for row in rows:
		data.append(make_row(row, currencies[row.company], names))
		for item in explanations.get((row.company, row.party_type, row.party), []):
			data.append(make_explanation_row(row, item, currencies[row.company]))
	return get_columns(len(schools) == 1), data, message, None, summary


def visible_parties(schools: list[str], customer: str | None = None) -> list[str] | None:
	"""Customers whose rows the user may see (None: all); a class teacher sees the customers of the
	students of their sections."""
	parties = [customer] if customer else None
	sections = sections_of()
	if sections is not None:
		allowed = set(
			frappe.get_all(
				"Student",
				filters={"company": ("in", schools), "class_section": ("in", sections or [""])},
				pluck="customer",
				distinct=True,
			)
		)
		parties = sorted(allowed & set(parties) if parties else allowed)
	return parties


def difference(row) -> Decimal:
	return abs(row.receivable_difference) + abs(row.deposit_difference)


def customer_names(customers: list[str]) -> dict[str, str]:
	if not customers:
		return {}
	return dict(
		frappe.get_all(
			"Customer", filters={"name": ("in", customers)}, fields=["name", "customer_name"], as_list=True
		)
	)


def make_row(row, currency: str, names: dict[str, str]) -> dict:
	data = {field: flt(row[field]) for field in MONEY_FIELDS}
	data.update(
		company=row.company,
		party_type=row.party_type,
		customer=row.party,
		customer_name=names.get(row.party, ""),
		difference=flt(difference(row)),
		currency=currency,
		indent=0,
	)
	return data


def make_explanation_row(row, item, currency: str) -> dict:
	ledger = _("Fee receivable") if item.ledger == RECEIVABLE else _("Deposits")
	return {
		"party_type": row.party_type,
		"customer": row.party,
		"voucher_type": item.voucher_type,
		"voucher_no": item.voucher_no,
		"explained_amount": flt(item.amount),
		"explanation": f"{ledger}: {item.reason}",
		"currency": currency,
		"indent": 1,
	}


def get_columns(one_school: bool = False) -> list[dict]:
	"""The difference and the vouchers explaining it first (they are what is looked for), then how
	each side is made up; the school column only for a trust."""

	def money(fieldname, label, width=120):
		return {
			"fieldname": fieldname,
			"label": label,
			"fieldtype": "Currency",
			"options": "currency",
			"width": width,
		}

	return [
		{
			"fieldname": "company",
			"label": _("School"),
			"fieldtype": "Link",
			"options": "Company",
			"width": 140,
			"hidden": int(one_school),
		},
		{"fieldname": "party_type", "label": _("Party Type"), "fieldtype": "Data", "hidden": 1},
		{
			"fieldname": "customer",
			"label": _("Customer"),
			"fieldtype": "Dynamic Link",
			"options": "party_type",
			"width": 170,
		},
		money("difference", _("Difference"), 110),
		money("documents_balance", _("Open Fee Documents")),
		money("gl_balance", _("Fee Receivable in GL")),
		money("deposits_held", _("Deposits Held")),
		money("deposit_gl_balance", _("Deposit Account in GL")),
		{"fieldname": "voucher_type", "label": _("Voucher Type"), "fieldtype": "Data", "width": 110},
		{
			"fieldname": "voucher_no",
			"label": _("Voucher"),
			"fieldtype": "Dynamic Link",
			"options": "voucher_type",
			"width": 170,
		},
		money("explained_amount", _("Explained Amount")),
		{"fieldname": "explanation", "label": _("Explanation"), "fieldtype": "Data", "width": 380},
		money("invoice_outstanding", _("Invoice Outstanding")),
		money("open_credit", _("Open Credit")),
		{"fieldname": "customer_name", "label": _("Customer Name"), "fieldtype": "Data", "width": 160},
		# Data, not a Link: the report keeps a Link column's rows only for users who may read Currency
		{"fieldname": "currency", "label": _("Currency"), "fieldtype": "Data", "hidden": 1},
	]


def get_summary(rows, unreconciled, currencies: dict[str, str]) -> list[dict]:
	total_difference = sum((difference(row) for row in rows), ZERO)
	summary = []
	if len(set(currencies.values())) == 1:
		currency = next(iter(currencies.values()))

		def card(field, label):
			return {
				"value": flt(sum((row[field] for row in rows), ZERO)),
				"label": label,
				"datatype": "Currency",
				"currency": currency,
			}

		summary = [
			card("documents_balance", _("Open Fee Documents")),
			card("gl_balance", _("Fee Receivable in GL")),
			card("deposits_held", _("Deposits Held")),
			card("deposit_gl_balance", _("Deposit Account in GL")),
		]
	summary += [
		{
			"value": flt(total_difference),
			"label": _("Difference"),
			"datatype": "Currency" if len(set(currencies.values())) == 1 else "Float",
			"currency": next(iter(currencies.values()), None),
			"indicator": "Red" if total_difference else "Green",
		},
		{
			"value": len(unreconciled),
			"label": _("Customers Not Reconciled"),
			"datatype": "Int",
			"indicator": "Red" if unreconciled else "Green",
		},
	]
	return summary
