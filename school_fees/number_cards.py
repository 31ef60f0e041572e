"""The number cards of the School Fees workspace (Number Cards of type "Custom": each calls one
function here with the card's filters).

Which schools a card adds up, and in which currency, is one rule (:func:`card_scope`):

- the card is about the school the desk passes (a ``company`` filter), else the user's school
  (:func:`users_school`: their default Company, the User Permission on Company marked default, or
  the one Company their User Permissions name: a user of one school often has no default, Frappe
  takes a User Permission for it only when marked so; the desk's ``school_fees.users_school``
  decides the same for the Fee Collections chart);
- a trust (a group Company) stands for its schools the user may see (permissions.readable_schools),
  but only those that keep their books in the trust's own currency: amounts in two currencies are
  never added up as one (the Trust Rollup shows each school in its own currency); the workspace says
  so under the cards;
- a class teacher counts their own sections only (``permissions.sections_of``), as in the reports.

Money cards return their amount already formatted in the school's currency (a string), because
that is the one result Frappe shows as it is: an object result (``{"value", "fieldtype":
"Currency", "options"}``) is formatted in the currency of the user's default Company, or in the
site's when the user has none, and a ``currency`` key in it is ignored
(``number_card_widget.js``, ``set_formatted_number``). The price: a string result carries no
route, so a money card opens nothing when clicked (the reports are linked below the cards).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import fmt_money, getdate, nowdate

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.ledger.reconciliation import school_figures
from school_fees.permissions import check_school_access, readable_schools, sections_of

FEE_INVOICE = "Fee Invoice"
PAYMENT_ALLOCATION = "Payment Allocation"


@dataclass(frozen=True)
class CardScope:
	"""What a card adds up: the schools of `company` in its `currency` that the user may read."""

	company: str
	currency: str
	schools: list[str]


def users_school(user: str | None = None) -> str | None:
	"""The user's default Company; else their User Permission on Company marked default (the desk
	takes it for the default, Frappe's server not when the site has a default Company), else the
	one Company their User Permissions name; else None."""
	user = user or frappe.session.user
	default = frappe.defaults.get_user_default("Company", user=user)
	if default:
		return default
	permissions = frappe.get_all(
		"User Permission",
		filters={"user": user, "allow": "Company"},
		fields=["for_value", "is_default"],
		order_by="is_default desc",
	)
	companies = {row.for_value for row in permissions}
	if permissions and (permissions[0].is_default or len(companies) == 1):
		return permissions[0].for_value
	return None


def card_scope(filters: dict | str | None, doctype: str) -> CardScope | None:
	"""The schools a card about `doctype` adds up (module docstring), or None when the user has
	no school to show. Refuses a school the user may not read, or a user who may not read `doctype`."""
	frappe.has_permission(doctype, "read", throw=True)
	filters = frappe._dict(frappe.parse_json(filters) or {})
	company = filters.company or users_school()
	if not company:
		return None
	check_school_access(company)
	currency = school_currency(company)
	schools = [school for school in readable_schools(company) if school_currency(school) == currency]
	return CardScope(company=company, currency=currency, schools=schools)


def school_currency(company: str) -> str:
	return frappe.get_cached_value("Company", company, "default_currency")


def money_card(scope: CardScope | None, figure: Callable[[CardScope], Decimal]) -> str:
	"""A money card's result: the scope's `figure`, in the scope's currency, as the card shows it."""
	if scope is None:
		return no_school()
	return fmt_money(quantize(figure(scope)), currency=scope.currency)


def no_school() -> str:
	"""What a card shows to a user with several schools and no default one."""
	return _("Set a default school")


# ---------------------------------------------------------------- the cards


@frappe.whitelist()
def get_billed_this_term(filters: dict | str | None = None) -> str:
	"""Fees Billed This Term: grand totals of the submitted Fee Invoices of the terms under way."""
	return money_card(card_scope(filters, FEE_INVOICE), billed_this_term)


@frappe.whitelist()
def get_collected_today(filters: dict | str | None = None) -> str:
	"""Fees Collected Today: the receipts posted today (as the user may list them)."""
	return money_card(card_scope(filters, PAYMENT_ALLOCATION), collected_today)


@frappe.whitelist()
def get_outstanding(filters: dict | str | None = None) -> str:
	"""Fees Outstanding: what the submitted Fee Invoices still owe, from the ledger."""
	return money_card(card_scope(filters, FEE_INVOICE), outstanding)


@frappe.whitelist()
def get_overdue_invoices(filters: dict | str | None = None) -> dict | str:
	"""Overdue Fee Invoices: how many owe money past their due date; opens them in the list."""
	scope = card_scope(filters, FEE_INVOICE)
	if scope is None:
		return no_school()
	today = nowdate()
	return {
		"value": invoice_totals(scope, overdue_on=today).overdue_invoices,
		"fieldtype": "Int",
		"route": ["List", FEE_INVOICE],
		"route_options": {
			"company": ["in", scope.schools],
			"docstatus": 1,
			"outstanding_amount": [">", 0],
			"due_date": ["<", today],
		},
	}


# ---------------------------------------------------------------- figures


def invoice_totals(
	scope: CardScope, overdue_on=None, academic_terms: list[str] | None = None
) -> frappe._dict:
	"""The scope's Fee Invoice figures (ledger.reconciliation.school_figures) added up over its
	schools, for the user's sections when they are a class teacher."""
	figures = school_figures(
		scope.schools,
		academic_terms=academic_terms,
		sections=sections_of(),
		overdue_on=overdue_on or nowdate(),
	)
	return frappe._dict(
		billed=sum((row.billed for row in figures.values()), ZERO),
		outstanding=sum((row.outstanding for row in figures.values()), ZERO),
		overdue_invoices=sum(row.overdue_invoices for row in figures.values()),
	)


def outstanding(scope: CardScope) -> Decimal:
	return invoice_totals(scope).outstanding


def current_terms(schools: list[str], on_date=None) -> list[str]:
	"""Academic Terms of the schools' submitted Fee Structures whose dates include `on_date`."""
	on_date = getdate(on_date or nowdate())
	structure = frappe.qb.DocType("Fee Structure")
	term = frappe.qb.DocType("Academic Term")
	return (
		frappe.qb.from_(structure)
		.join(term)
		.on(term.name == structure.academic_term)
		.select(term.name)
		.distinct()
		.where(
			structure.company.isin(schools)
			& (structure.docstatus == 1)
			& (term.start_date <= on_date)
			& (term.end_date >= on_date)
		)
		.orderby(term.name)
	).run(pluck=True)


def billed_this_term(scope: CardScope) -> Decimal:
	"""Billed in the terms under way today (none under way: nothing billed this term)."""
	terms = current_terms(scope.schools) if scope.schools else []
	return invoice_totals(scope, academic_terms=terms).billed


def collected_today(scope: CardScope) -> Decimal:
	"""Paid amount of the submitted receipts of the scope's schools posted today, as the user may
	list them (User Permissions; a class teacher's sections)."""
	if not scope.schools:
		return ZERO
	(row,) = frappe.get_list(
		PAYMENT_ALLOCATION,
		filters={
			"company": ("in", scope.schools),
			"docstatus": 1,
			"allocation_type": "Receipt",
			"posting_date": getdate(nowdate()),
		},
		fields=["sum(paid_amount) as paid"],
		order_by=None,
	)
	return quantize(to_decimal(row.paid))
