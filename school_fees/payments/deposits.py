"""Deposits: the liability account a deposit sits on, what happened to it since, and deposits in
bulk (the Deposit Balance report's Add Deposit)."""

import frappe
from frappe import _
from frappe.utils import flt

from school_fees.core.money import to_decimal
from school_fees.core.payment_types import APPLY_DEPOSIT, DEPOSIT_TO_CREDIT, REFUND
from school_fees.payments.bulk import parse_students, submit_per_student


class DepositAmountError(frappe.ValidationError):
	"""A deposit amount that is not above zero."""


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


@frappe.whitelist(methods=["POST"])
def make_deposits(
	students: list | str,
	amount: float | str,
	posting_date: str,
	deposit_type: str,
	mode_of_payment: str,
	approved_by: str | None = None,
	description: str | None = None,
) -> dict:
	"""Create and submit one Deposit of `amount` per student (Add Deposit). Each student is done on
	its own savepoint: one that fails is reported with its error and the others still get their
	deposit. Returns {"created": [names], "failed": [{student, error}]}."""
	frappe.has_permission("Deposit", "create", throw=True)
	frappe.has_permission("Deposit", "submit", throw=True)
	amount = to_decimal(str(amount))
	if amount <= 0:
		frappe.throw(_("The deposit amount must be above zero."), DepositAmountError)

	def deposit_of(student: str) -> dict:
		company, customer = frappe.db.get_value("Student", student, ["company", "customer"]) or (None, None)
		return {
			"doctype": "Deposit",
			"student": student,
			"company": company,
			"customer": customer,
			"amount": flt(amount),
			"posting_date": posting_date,
			"deposit_type": deposit_type,
			"mode_of_payment": mode_of_payment,
			"approved_by": approved_by,
			"description": description,
		}

	return submit_per_student(parse_students(students), "make_deposit", deposit_of)
