"""Fee Audit Trail report over Fee Audit Log: the rows of an invoice created, issued and cancelled in
the test (who, from where, why, in order), the filters, rows of every voucher type and of a deleted
draft attributed to their school, and school isolation."""

import pytest
from factories import (
	ensure_company,
	make_fee_head,
	make_fee_invoice,
	make_income_account,
	make_payment_allocation,
	make_user,
)

import frappe
from frappe.utils import add_days, nowdate

from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice
from school_fees.school_fees.report.fee_audit_trail.fee_audit_trail import AuditTrailFilterError, execute

POSTING, DUE = "2028-06-01", "2028-12-31"
REASON = "Billed to the wrong student"
COLUMNS = [
	"timestamp",
	"reference_doctype",
	"reference_name",
	"action",
	"from_status",
	"to_status",
	"user",
	"ip_address",
	"reason",
]


@pytest.fixture
def lab(company):
	return make_fee_head(company=company, income_account=make_income_account(company)).name


@pytest.fixture
def clerk(monkeypatch):
	"""A Fees Manager working from a known IP (the audit log takes the request's IP)."""
	monkeypatch.setattr(frappe.local, "request_ip", "192.0.2.15", raising=False)
	return make_user("Fees Manager")


def run(**filters):
	columns, data, _message, _chart, summary = execute(frappe._dict(filters))
	return columns, data, {card["label"]: card["value"] for card in summary}


def trail(company, **filters) -> list[tuple]:
	return [
		(row.reference_name, row.action, row.from_status, row.to_status)
		for row in run(company=company, **filters)[1]
	]


def test_an_invoice_created_issued_and_cancelled(company, lab, clerk):
	frappe.set_user(clerk)
	invoice = make_fee_invoice(company, items=[(lab, 1200)], posting_date=POSTING, due_date=DUE)
	invoice.submit()
	cancel_fee_invoice(invoice.name, REASON)

	columns, data, cards = run(company=company, reference_doctype="Fee Invoice", reference_name=invoice.name)
	frappe.set_user("Administrator")

	assert [column["fieldname"] for column in columns] == COLUMNS
	assert [(r.action, r.from_status, r.to_status) for r in data] == [
		("Created", None, "Draft"),
		("Issued", "Draft", "Issued"),
		("Cancelled", "Issued", "Cancelled"),
	]
	assert {(r.reference_doctype, r.reference_name, r.user, r.ip_address) for r in data} == {
		("Fee Invoice", invoice.name, clerk, "192.0.2.15")
	}
	assert [r.reason for r in data] == [None, None, REASON]
	assert data[0].timestamp <= data[1].timestamp <= data[2].timestamp
	assert cards == {"Entries": 3, "Documents": 1, "Users": 1, "Cancellations": 1}


def test_filters_user_action_type_and_date_window(company, lab, clerk):
	frappe.set_user(clerk)
	issued = make_fee_invoice(company, items=[(lab, 900)], posting_date=POSTING, due_date=DUE, submit=True)
	cancelled = make_fee_invoice(company, items=[(lab, 400)], posting_date=POSTING, due_date=DUE, submit=True)
	cancel_fee_invoice(cancelled.name, REASON)
	receipt = make_payment_allocation(
		company, issued.customer, paid_amount=300, posting_date=POSTING, allocations=[(issued.name, 300)]
	)
	frappe.set_user("Administrator")
	# the receipt moved the invoice on: Issued -> Partially Paid, logged for the invoice
	status_change = (issued.name, "Status Change", "Issued", "Partially Paid")

	everything = trail(company, user=clerk)
	assert everything == [
		(issued.name, "Created", None, "Draft"),
		(issued.name, "Issued", "Draft", "Issued"),
		(cancelled.name, "Created", None, "Draft"),
		(cancelled.name, "Issued", "Draft", "Issued"),
		(cancelled.name, "Cancelled", "Issued", "Cancelled"),
		status_change,
		(receipt.name, "Submitted", None, None),
	]
	assert trail(company, user=clerk, action="Cancelled") == [
		(cancelled.name, "Cancelled", "Issued", "Cancelled")
	]
	assert trail(company, user=clerk, reference_doctype="Payment Allocation") == [
		(receipt.name, "Submitted", None, None)
	]
	assert trail(company, user=clerk, reference_doctype="Fee Invoice", reference_name=issued.name) == [
		(issued.name, "Created", None, "Draft"),
		(issued.name, "Issued", "Draft", "Issued"),
		status_change,
	]
	today = nowdate()
	assert len(trail(company, user=clerk, from_date=today, to_date=today)) == 7  # whole days, both ends
	assert trail(company, user=clerk, to_date=add_days(today, -1)) == []
	assert trail(company, user=clerk, from_date=add_days(today, 1)) == []
	assert (
		trail(company, user="Administrator", reference_name=issued.name, reference_doctype="Fee Invoice")
		== []
	)

	with pytest.raises(AuditTrailFilterError, match="must not be after"):
		run(company=company, from_date=today, to_date=add_days(today, -1))


def test_a_deleted_draft_stays_in_its_schools_trail(company, lab, clerk):
	frappe.set_user(clerk)
	draft = make_fee_invoice(company, items=[(lab, 500)], posting_date=POSTING, due_date=DUE)
	frappe.delete_doc("Fee Invoice", draft.name, flags={"deletion_reason": "Entered twice"})
	frappe.set_user("Administrator")

	assert not frappe.db.exists("Fee Invoice", draft.name)
	rows = run(company=company, reference_doctype="Fee Invoice", reference_name=draft.name)[1]
	assert [(r.action, r.from_status, r.reason) for r in rows] == [
		("Created", None, None),
		("Deleted", "Draft", "Entered twice"),
	]
	other_school = ensure_company("_Test School B", "_TSB")
	assert run(company=other_school, reference_doctype="Fee Invoice", reference_name=draft.name)[1] == []


def test_each_school_sees_only_its_own_trail(company, lab, clerk):
	other_school = ensure_company("_Test School B", "_TSB")
	frappe.set_user(clerk)
	mine = make_fee_invoice(company, items=[(lab, 700)], posting_date=POSTING, due_date=DUE, submit=True)
	theirs = make_fee_invoice(
		other_school,
		items=[(make_fee_head(company=other_school).name, 500)],
		posting_date=POSTING,
		due_date=DUE,
		submit=True,
	)
	frappe.set_user("Administrator")

	assert {row[0] for row in trail(company, user=clerk)} == {mine.name}
	assert {row[0] for row in trail(other_school, user=clerk)} == {theirs.name}

	principal = make_user("Principal")
	frappe.get_doc(
		{"doctype": "User Permission", "user": principal, "allow": "Company", "for_value": company}
	).insert(ignore_permissions=True)
	frappe.set_user(principal)
	assert {row[0] for row in trail(company, user=clerk)} == {mine.name}
	with pytest.raises(frappe.PermissionError, match="no access to school"):
		run(company=other_school, user=clerk)
	with pytest.raises(frappe.PermissionError):
		run(company=None)
	frappe.set_user("Administrator")


def test_rows_written_before_the_log_kept_a_school_get_it_from_their_document(company, lab, clerk):
	"""The patch fee_audit_log_company: a row without a school takes its document's, or for a deleted
	document the company kept in Deleted Document; the trail then shows them again."""
	from school_fees.patches.v15_0.fee_audit_log_company import execute as backfill

	kept = make_fee_invoice(company, items=[(lab, 300)], posting_date=POSTING, due_date=DUE, submit=True)
	draft = make_fee_invoice(company, items=[(lab, 400)], posting_date=POSTING, due_date=DUE)
	frappe.delete_doc("Fee Invoice", draft.name, flags={"deletion_reason": "Entered twice"})
	names = [kept.name, draft.name]
	log = frappe.qb.DocType("Fee Audit Log")
	frappe.qb.update(log).set(log.company, None).where(log.reference_name.isin(names)).run()
	assert trail(company, reference_doctype="Fee Invoice", reference_name=kept.name) == []

	backfill()

	companies = frappe.get_all(
		"Fee Audit Log", filters={"reference_name": ("in", names)}, fields=["reference_name", "company"]
	)
	assert {row.reference_name for row in companies} == set(names)
	assert {row.company for row in companies} == {company}
	assert [row[1] for row in trail(company, reference_doctype="Fee Invoice", reference_name=draft.name)] == [
		"Created",
		"Deleted",
	]


def test_an_auditor_of_the_school_reads_its_trail(company, lab, clerk):
	"""ERPNext's Auditor may only pick (select) a Company, not read it: that is access enough to the
	school's trail (DESIGN: the Auditor reads everything of their schools, the audit trail included)."""
	frappe.set_user(clerk)
	invoice = make_fee_invoice(company, items=[(lab, 250)], posting_date=POSTING, due_date=DUE, submit=True)
	frappe.set_user("Administrator")
	auditor = make_user("Auditor")
	frappe.get_doc(
		{"doctype": "User Permission", "user": auditor, "allow": "Company", "for_value": company}
	).insert(ignore_permissions=True)
	frappe.set_user(auditor)
	assert not frappe.has_permission("Company", "read", doc=company)
	assert [
		row[1] for row in trail(company, reference_doctype="Fee Invoice", reference_name=invoice.name)
	] == [
		"Created",
		"Issued",
	]
	with pytest.raises(frappe.PermissionError):
		run(company=ensure_company("_Test School B", "_TSB"))
