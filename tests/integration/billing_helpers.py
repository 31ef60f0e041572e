"""Helpers for the billing-run tests: committed-data cleanup and ledger read-back.

run_billing commits per batch, so what a billing-run test creates is committed; the `billed`
fixture of each test module records the students and runs it made and removes them, their
invoices and every ledger and audit row of those invoices afterwards.
"""

import frappe

INVOICE_TABLES = ("Fee Invoice Item", "Fee Invoice Discount")


class Billed:
	"""Students and billing runs a test committed, removed with all they caused on teardown."""

	def __init__(self):
		self.students: list[str] = []
		self.runs: list[str] = []

	def add(self, *docs):
		for doc in docs:
			(self.runs if doc.doctype == "Billing Run" else self.students).append(doc.name)
		return docs[0] if len(docs) == 1 else docs

	def cleanup(self):
		frappe.db.rollback()
		invoices = frappe.get_all(
			"Fee Invoice",
			filters={"student": ("in", self.students or ["-"])},
			pluck="name",
		) + frappe.get_all("Fee Invoice", filters={"billing_run": ("in", self.runs or ["-"])}, pluck="name")
		invoices = sorted(set(invoices)) or ["-"]
		for table in ("GL Entry", "Payment Ledger Entry"):
			frappe.db.delete(table, {"voucher_type": "Fee Invoice", "voucher_no": ("in", invoices)})
		frappe.db.delete(
			"Fee Audit Log", {"reference_doctype": "Fee Invoice", "reference_name": ("in", invoices)}
		)
		for table in INVOICE_TABLES:
			frappe.db.delete(table, {"parenttype": "Fee Invoice", "parent": ("in", invoices)})
		frappe.db.delete("Fee Invoice", {"name": ("in", invoices)})
		for table in ("Billing Run Student", "Billing Run Exclusion", "Billing Run Error"):
			frappe.db.delete(table, {"parenttype": "Billing Run", "parent": ("in", self.runs or ["-"])})
		frappe.db.delete("Billing Run", {"name": ("in", self.runs or ["-"])})
		customers = frappe.get_all(
			"Student", filters={"name": ("in", self.students or ["-"])}, pluck="customer"
		)
		for table in ("Student Fee Group", "Student Fee Discount"):
			frappe.db.delete(table, {"parenttype": "Student", "parent": ("in", self.students or ["-"])})
		frappe.db.delete("Student", {"name": ("in", self.students or ["-"])})
		frappe.db.delete("Customer", {"name": ("in", [c for c in customers if c] or ["-"])})
		frappe.db.commit()


def run_invoices(run: str, **filters) -> list[frappe._dict]:
	return frappe.get_all(
		"Fee Invoice",
		filters={"billing_run": run, **filters},
		fields=[
			"name",
			"student",
			"installment",
			"docstatus",
			"status",
			"grand_total",
			"outstanding_amount",
			"paid_amount",
			"billing_key",
			"posting_date",
			"due_date",
		],
		order_by="student, installment",
	)


def live_invoices_of(student: str, fee_structure: str) -> list[frappe._dict]:
	return frappe.get_all(
		"Fee Invoice",
		filters={"student": student, "fee_structure": fee_structure, "docstatus": ("<", 2)},
		fields=["name", "installment", "billing_run", "docstatus"],
		order_by="installment",
	)


def ledger_of(invoice: str) -> tuple[list[tuple], list[tuple]]:
	"""(GL rows, Payment Ledger rows) of an invoice as sorted tuples."""
	gl = frappe.get_all(
		"GL Entry",
		filters={"voucher_type": "Fee Invoice", "voucher_no": invoice, "is_cancelled": 0},
		fields=["account", "debit", "credit", "party", "against_voucher"],
	)
	ple = frappe.get_all(
		"Payment Ledger Entry",
		filters={"voucher_type": "Fee Invoice", "voucher_no": invoice, "delinked": 0},
		fields=["account", "amount", "party", "against_voucher_no"],
	)
	return (
		sorted((r.account, r.debit, r.credit, r.party, r.against_voucher) for r in gl),
		sorted((r.account, r.amount, r.party, r.against_voucher_no) for r in ple),
	)
