"""Ledger read-back helpers for the payment, credit note and deposit tests (assertions only; the
documents themselves come from factories.py)."""

from decimal import Decimal

import frappe

from school_fees.core.money import quantize, to_decimal
from school_fees.settings import get_company_settings


def D(value) -> Decimal:
	return quantize(to_decimal(value))


def accounts(company: str) -> frappe._dict:
	return get_company_settings(company)


def gl_rows(voucher_type: str, voucher_no: str) -> list[tuple]:
	"""Live GL rows of a voucher as sorted tuples (account, debit, credit, party, against type,
	against voucher)."""
	rows = frappe.get_all(
		"GL Entry",
		filters={"voucher_type": voucher_type, "voucher_no": voucher_no, "is_cancelled": 0},
		fields=["account", "debit", "credit", "party", "against_voucher_type", "against_voucher"],
	)
	return sorted(
		(
			r.account,
			D(r.debit),
			D(r.credit),
			r.party or None,
			r.against_voucher_type or None,
			r.against_voucher or None,
		)
		for r in rows
	)


def ple_rows(voucher_type: str, voucher_no: str) -> list[tuple]:
	"""Live Payment Ledger rows of a voucher: (account, party, against type, against no, amount)."""
	rows = frappe.get_all(
		"Payment Ledger Entry",
		filters={"voucher_type": voucher_type, "voucher_no": voucher_no, "delinked": 0},
		fields=["account", "party", "against_voucher_type", "against_voucher_no", "amount"],
	)
	return sorted(
		(r.account, r.party, r.against_voucher_type, r.against_voucher_no, D(r.amount)) for r in rows
	)


def invoice_state(name: str) -> tuple:
	"""(outstanding, paid, status) as stored on the Fee Invoice."""
	row = frappe.db.get_value(
		"Fee Invoice", name, ["outstanding_amount", "paid_amount", "status"], as_dict=True
	)
	return D(row.outstanding_amount), D(row.paid_amount), row.status


def remaining(doctype: str, name: str) -> Decimal:
	return D(frappe.db.get_value(doctype, name, "remaining_amount"))


def assert_voucher_balances(voucher_type: str, voucher_no: str) -> None:
	rows = gl_rows(voucher_type, voucher_no)
	assert rows, f"{voucher_type} {voucher_no} has no GL rows"
	assert sum(r[1] for r in rows) == sum(r[2] for r in rows), rows


def customer_receivable_gl(company: str, customer: str) -> Decimal:
	"""The customer's balance on the fee receivable in GL Entry (debit - credit)."""
	gle = frappe.qb.DocType("GL Entry")
	from frappe.query_builder.functions import Coalesce, Sum

	value = (
		frappe.qb.from_(gle)
		.select(Coalesce(Sum(gle.debit - gle.credit), 0))
		.where(
			(gle.company == company)
			& (gle.account == accounts(company).receivable_account)
			& (gle.party_type == "Customer")
			& (gle.party == customer)
			& (gle.is_cancelled == 0)
		)
	).run()[0][0]
	return D(value)


def set_auto_apply_credit(enabled: bool) -> None:
	frappe.db.set_single_value("School Fees Settings", "auto_apply_credit", int(enabled))


class asset_manifest_stand_in:
	"""This bench has no built desk assets (sites/assets/assets.json), which Frappe's email and print
	templates look up for their CSS bundles; an empty manifest stands in for it while rendering, so
	the templates fall back to plain paths."""

	def __enter__(self):
		self.had = hasattr(frappe.local, "assets_json")
		self.previous = getattr(frappe.local, "assets_json", None)
		frappe.local.assets_json = self.previous or {}
		return self

	def __exit__(self, *exc):
		if self.had:
			frappe.local.assets_json = self.previous
		else:
			del frappe.local.assets_json
