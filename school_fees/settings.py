"""School Fees Settings at run time: the per-company accounts and the site-wide switches.

The per-company rows (receivable, income fallback, deposit liability, credit accounts by reason,
cost center) live in the child table ``School Fees Settings.company_settings``; one row per company,
created by :func:`school_fees.setup.install.setup_company` and checked by
:func:`validate_company_settings_row`. The switches (auto-issue, overdue, late fees, auto-apply of
credit) are read with :func:`setting_enabled`. The accounts of a row are checked by
:func:`school_fees.accounts.validate_company_settings_row`.
"""

import frappe
from frappe import _
from frappe.utils import cint

SETTINGS_DOCTYPE = "School Fees Settings"
COMPANY_SETTINGS_DOCTYPE = "School Fees Company Settings"
COMPANY_SETTINGS_FIELD = "company_settings"

COMPANY_SETTINGS_FIELDS = (
	"company",
	"receivable_account",
	"income_account",
	"deposit_account",
	"cost_center",
	"discount_account",
	"concession_account",
	"scholarship_account",
	"cancelled_class_account",
	"write_off_account",
)


class CompanySettingsMissingError(frappe.ValidationError):
	"""The company has no row in School Fees Settings (it was never set up for school fees)."""


def company_settings_filters(company: str) -> dict:
	return {
		"parent": SETTINGS_DOCTYPE,
		"parenttype": SETTINGS_DOCTYPE,
		"parentfield": COMPANY_SETTINGS_FIELD,
		"company": company,
	}


def has_company_settings(company: str) -> bool:
	return bool(frappe.db.exists(COMPANY_SETTINGS_DOCTYPE, company_settings_filters(company)))


def get_company_settings(company: str) -> frappe._dict:
	"""The company's School Fees accounts and cost center as a ``frappe._dict``.

	Keys: ``company``, ``receivable_account``, ``income_account``, ``deposit_account``, ``cost_center``,
	``discount_account``, ``concession_account``, ``scholarship_account``, ``cancelled_class_account``,
	``write_off_account`` (optional ones may be ``None``).

	Read from the database on every call (no document cache), so a rolled-back test or a concurrent
	edit never leaves stale accounts behind.

	Raises:
		CompanySettingsMissingError: the company has no row in School Fees Settings.
	"""
	row = frappe.db.get_value(
		COMPANY_SETTINGS_DOCTYPE, company_settings_filters(company), COMPANY_SETTINGS_FIELDS, as_dict=True
	)
	if not row:
		frappe.throw(
			_(
				"Company {0} is not set up for School Fees: add its accounts in School Fees Settings "
				"(Companies table), or save the Company once to create them automatically."
			).format(frappe.bold(company)),
			CompanySettingsMissingError,
			title=_("School Fees Settings Missing"),
		)
	return row


def setting_enabled(fieldname: str) -> bool:
	"""A School Fees Settings switch; a switch never saved takes its default from the DocType."""
	values = frappe.db.get_singles_dict(SETTINGS_DOCTYPE)
	if fieldname in values and values[fieldname] is not None:
		return bool(cint(values[fieldname]))
	field = frappe.get_meta(SETTINGS_DOCTYPE).get_field(fieldname)
	return bool(cint(field.default)) if field else False


def get_default_cost_center(company: str) -> str | None:
	"""The company's School Fees cost center, else its ERPNext default cost center."""
	return frappe.db.get_value(
		COMPANY_SETTINGS_DOCTYPE, company_settings_filters(company), "cost_center"
	) or frappe.db.get_value("Company", company, "cost_center")
