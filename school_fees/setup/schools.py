"""Schools are ERPNext Companies. Creating one here gives it ERPNext's standard chart of
accounts; the Company hook (setup.install.setup_company) then adds the fee accounts and the
School Fees Settings row."""

import frappe


def ensure_school(
	name: str,
	abbr: str,
	currency: str = "INR",
	country: str = "India",
	parent_company: str | None = None,
	is_group: bool = False,
) -> bool:
	"""Create the school `name` unless it exists (a trust is a group company, `is_group`, with its
	schools under it, `parent_company`). Returns True when it was created."""
	if frappe.db.exists("Company", name):
		return False
	frappe.get_doc(
		{
			"doctype": "Company",
			"company_name": name,
			"abbr": abbr,
			"default_currency": currency,
			"country": country,
			"is_group": int(is_group),
			"parent_company": parent_company,
			"chart_of_accounts": "Standard",
			"create_chart_of_accounts_based_on": "Standard Template",
		}
	).insert(ignore_permissions=True)
	return True
