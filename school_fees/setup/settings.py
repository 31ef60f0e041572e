"""Read access to School Fees Settings for ledger and service code.

The per-company rows (receivable, income fallback, deposit liability, credit accounts by reason,
cost center) live in the child table ``School Fees Settings.company_settings``; one row per company,
created by :func:`school_fees.setup.install.setup_company`.
"""

import frappe
from frappe import _

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
