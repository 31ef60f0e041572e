"""Deposits: the liability account a deposit sits on, and what happened to it since."""

import frappe
from frappe import _

from school_fees.core.payment_types import APPLY_DEPOSIT, DEPOSIT_TO_CREDIT, REFUND


def deposit_account_of(deposit: str) -> str:
	"""The liability account a Deposit was posted to (it stays there even if settings change)."""
	return frappe.db.get_value("Deposit", deposit, "deposit_account")


def deposit_history(name: str) -> list[frappe._dict]:
	"""Issued / used / transferred / refunded movements of a Deposit, oldest first."""
	deposit = frappe.db.get_value(
		"Deposit", name, ["name", "posting_date", "amount", "docstatus"], as_dict=True
	)
	if not deposit or deposit.docstatus != 1:
		return []
	kinds = {
		APPLY_DEPOSIT: _("Used"),
		DEPOSIT_TO_CREDIT: _("Transferred to credit"),
		REFUND: _("Refunded"),
	}
	history = [frappe._dict(date=deposit.posting_date, kind=_("Issued"), amount=deposit.amount, voucher=None)]
	for row in frappe.get_all(
		"Payment Allocation",
		filters={"source_doctype": "Deposit", "source_name": name, "docstatus": 1},
		fields=["name", "posting_date", "allocation_type", "paid_amount", "total_allocated"],
		order_by="posting_date, name",
	):
		amount = row.total_allocated if row.allocation_type == APPLY_DEPOSIT else row.paid_amount
		history.append(
			frappe._dict(
				date=row.posting_date, kind=kinds.get(row.allocation_type), amount=amount, voucher=row.name
			)
		)
	return history
