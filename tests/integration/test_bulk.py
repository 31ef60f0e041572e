"""Bulk cancel of Fee Invoices (school_fees.bulk): one reason for all, each invoice on its own, a
refusal reported by name without blocking the others; asserted on GL Entry, Payment Ledger Entry,
the invoices and their audit trail. Above the threshold the work is queued and the job's result is
left in a Notification Log."""

import pytest
from factories import (
	ensure_company,
	make_fee_head,
	make_fee_invoice,
	make_income_account,
	make_payment_allocation,
	make_user,
)
from payment_helpers import D, customer_receivable_gl, gl_rows, invoice_state

import frappe

from school_fees import bulk
from school_fees.bulk import BulkCancelNotPermittedError, cancel_invoices, run_bulk_cancel
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import CancellationReasonError

POSTING, DUE = "2028-06-01", "2028-12-31"
REASON = "Term fees billed to the wrong section"


@pytest.fixture
def lab(company):
	return make_fee_head(company=company, income_account=make_income_account(company)).name


def issue(company, head, amount=1200):
	return make_fee_invoice(company, items=[(head, amount)], posting_date=POSTING, due_date=DUE, submit=True)


def all_gl(name: str) -> list[frappe._dict]:
	return frappe.get_all(
		"GL Entry",
		filters={"voucher_type": "Fee Invoice", "voucher_no": name},
		fields=["account", "debit", "credit", "is_cancelled"],
	)


def cancelled_reasons(name: str) -> list[str]:
	return frappe.get_all(
		"Fee Audit Log",
		filters={"reference_doctype": "Fee Invoice", "reference_name": name, "action": "Cancelled"},
		pluck="reason",
	)


def test_bulk_cancel_cancels_each_invoice_and_reports_the_blocked_one(company, lab):
	free = issue(company, lab, 1200)
	also_free = issue(company, lab, 800)
	paid = issue(company, lab, 1500)
	draft = make_fee_invoice(company, items=[(lab, 100)], posting_date=POSTING, due_date=DUE)
	receipt = make_payment_allocation(
		company, paid.customer, paid_amount=500, posting_date=POSTING, allocations=[(paid.name, 500)]
	)
	paid_gl_before = gl_rows("Fee Invoice", paid.name)
	manager = make_user("Fees Manager")

	frappe.set_user(manager)
	result = cancel_invoices([free.name, paid.name, also_free.name, draft.name, free.name], f"  {REASON} ")
	frappe.set_user("Administrator")

	assert result["cancelled"] == [free.name, also_free.name]
	assert sorted(result["failed"]) == sorted([paid.name, draft.name])
	assert receipt.name in result["failed"][paid.name]
	assert "<" not in result["failed"][paid.name]  # plain text, no markup
	assert "Draft" in result["failed"][draft.name]

	for invoice, amount in ((free, 1200), (also_free, 800)):
		stored = frappe.get_doc("Fee Invoice", invoice.name)
		assert (stored.docstatus, stored.status, stored.cancellation_reason) == (2, "Cancelled", REASON)
		assert (D(stored.outstanding_amount), D(stored.paid_amount)) == (0, 0)
		rows = all_gl(invoice.name)
		assert len(rows) == 4 and all(r.is_cancelled for r in rows)  # 2 originals + 2 reversals
		assert sum(D(r.debit) for r in rows) == sum(D(r.credit) for r in rows) == 2 * amount
		assert gl_rows("Fee Invoice", invoice.name) == []
		assert customer_receivable_gl(company, invoice.customer) == 0
		assert all(
			row.delinked
			for row in frappe.get_all(
				"Payment Ledger Entry",
				filters={"voucher_type": "Fee Invoice", "voucher_no": invoice.name},
				fields=["delinked"],
			)
		)
		assert cancelled_reasons(invoice.name) == [REASON]

	# the blocked invoice is untouched: still issued, same ledger, same balance
	assert frappe.db.get_value("Fee Invoice", paid.name, "docstatus") == 1
	assert invoice_state(paid.name) == (D(1000), D(500), "Partially Paid")
	assert gl_rows("Fee Invoice", paid.name) == paid_gl_before
	assert customer_receivable_gl(company, paid.customer) == D(1000)
	assert cancelled_reasons(paid.name) == []
	assert frappe.db.get_value("Fee Invoice", draft.name, "docstatus") == 0
	# refusals are reported in the result, not as pop-ups of the request
	assert not [m for m in frappe.local.message_log if receipt.name in str(m)]


def test_an_invoice_of_a_school_the_manager_may_not_touch_is_reported_not_fatal(company, lab):
	other_school = ensure_company("_Test School B", "_TSB")
	theirs = make_fee_invoice(
		other_school,
		items=[(make_fee_head(company=other_school).name, 500)],
		posting_date=POSTING,
		due_date=DUE,
		submit=True,
	)
	mine = issue(company, lab)
	manager = make_user("Fees Manager")
	frappe.get_doc(
		{"doctype": "User Permission", "user": manager, "allow": "Company", "for_value": company}
	).insert(ignore_permissions=True)

	frappe.set_user(manager)
	result = cancel_invoices([theirs.name, mine.name], REASON)
	frappe.set_user("Administrator")

	assert result["cancelled"] == [mine.name]
	assert list(result["failed"]) == [theirs.name]
	assert (
		"'cancel' permission" in result["failed"][theirs.name]
		and theirs.name in result["failed"][theirs.name]
	)
	assert frappe.db.get_value("Fee Invoice", theirs.name, "docstatus") == 1
	assert frappe.db.get_value("Fee Invoice", mine.name, "docstatus") == 2
	assert not frappe.flags.get("error_message")


def test_a_fee_cashier_cannot_bulk_cancel(company, lab):
	invoice = issue(company, lab)
	frappe.set_user(make_user("Fee Cashier"))
	with pytest.raises(BulkCancelNotPermittedError, match="Only a Fees Manager"):
		cancel_invoices([invoice.name], REASON)
	frappe.set_user("Administrator")
	assert invoice_state(invoice.name) == (D(1200), D(0), "Issued")
	assert len(gl_rows("Fee Invoice", invoice.name)) == 2


def test_one_reason_of_ten_characters_is_required(company, lab):
	invoice = issue(company, lab)
	with pytest.raises(CancellationReasonError, match="at least 10 characters"):
		cancel_invoices([invoice.name], "  too short ")
	with pytest.raises(frappe.ValidationError, match="Select at least one"):
		cancel_invoices("[]", REASON)
	assert frappe.db.get_value("Fee Invoice", invoice.name, "docstatus") == 1


def test_names_arrive_as_json_from_the_desk(company, lab):
	first, second = issue(company, lab), issue(company, lab)
	result = cancel_invoices(frappe.as_json([first.name, second.name]), REASON)
	assert result == {"cancelled": [first.name, second.name], "failed": {}}


def test_above_the_threshold_the_work_is_queued_and_the_job_leaves_a_notification(company, lab, monkeypatch):
	free, blocked = issue(company, lab, 700), issue(company, lab, 900)
	receipt = make_payment_allocation(
		company, blocked.customer, paid_amount=900, posting_date=POSTING, allocations=[(blocked.name, 900)]
	)
	manager = make_user("Fees Manager")
	monkeypatch.setattr(bulk, "BACKGROUND_THRESHOLD", 1)
	queued = []
	monkeypatch.setattr(frappe, "enqueue", lambda method, **kwargs: queued.append((method, kwargs)))

	frappe.set_user(manager)
	answer = cancel_invoices([free.name, blocked.name], REASON)
	assert answer["queued"] is True and answer["count"] == 2
	assert frappe.db.get_value("Fee Invoice", free.name, "docstatus") == 1  # nothing done in the request
	[(method, kwargs)] = queued
	assert (method, kwargs["queue"], kwargs["job_id"]) == (bulk.JOB_METHOD, "long", answer["job_id"])
	assert (kwargs["names"], kwargs["reason"]) == ([free.name, blocked.name], REASON)

	# the job itself, as the worker runs it (as the same user); its commits are counted, not made,
	# so the test's data is still rolled back
	commits, progress = [], []
	monkeypatch.setattr(frappe.db, "commit", lambda *a, **k: commits.append(1))
	monkeypatch.setattr(frappe, "publish_progress", lambda percent, **k: progress.append(percent))
	result = run_bulk_cancel(kwargs["names"], kwargs["reason"])
	frappe.set_user("Administrator")

	assert result["cancelled"] == [free.name]
	assert list(result["failed"]) == [blocked.name] and receipt.name in result["failed"][blocked.name]
	assert len(commits) == 3  # one per invoice and one for the result
	assert progress == [50, 100]
	assert frappe.db.get_value("Fee Invoice", free.name, "status") == "Cancelled"
	assert invoice_state(blocked.name) == (D(0), D(900), "Paid")
	[note] = frappe.get_all(
		"Notification Log",
		filters={"for_user": manager, "subject": ("like", "Bulk cancel of Fee Invoices%")},
		fields=["subject", "email_content", "type"],
	)
	assert note.subject == "Bulk cancel of Fee Invoices finished: 1 cancelled, 1 refused"
	assert note.type == "Alert"
	assert REASON in note.email_content and receipt.name in note.email_content
	assert f"/app/fee-invoice/{free.name}" in note.email_content


def test_the_job_refuses_a_user_who_lost_the_role(company, lab):
	invoice = issue(company, lab)
	frappe.set_user(make_user("Fee Cashier"))
	with pytest.raises(BulkCancelNotPermittedError):
		run_bulk_cancel([invoice.name], REASON)
	frappe.set_user("Administrator")
	assert frappe.db.get_value("Fee Invoice", invoice.name, "docstatus") == 1
