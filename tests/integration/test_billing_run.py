"""Billing Run: validation, the preview (numbers, every skip reason, every blocking problem), the job
(invoices linked to the run, counts, totals, GL and Payment Ledger rows), per-student failures,
re-runs, confirm/queueing and deletion rules.

Preview and validation tests are rolled back. Tests that run the job commit (run_billing commits
per batch): their data is unique and the `billed` fixture removes it afterwards.
"""

import pytest
from billing_helpers import Billed, ledger_of, live_invoices_of, run_invoices
from factories import (
	make_billing_run,
	make_class_section,
	make_credit_note,
	make_fee_group,
	make_fee_head,
	make_fee_structure,
	make_grade,
	make_student,
	make_user,
)

import frappe
from frappe.utils import getdate, nowdate

from school_fees.billing.job import BillingRunError, job_id_of, run_billing
from school_fees.core.billing import (
	ALREADY_INVOICED,
	COMPLETED,
	EXCLUDED,
	FAILED,
	INACTIVE,
	LEFT,
	NOTHING_TO_BILL,
	PARTIALLY_COMPLETED,
	QUEUED,
)
from school_fees.invoicing.builder import InvoiceBuilder
from school_fees.invoicing.keys import insert_invoice
from school_fees.school_fees.doctype.billing_run.billing_run import (
	BillingRunLockedError,
	BillingRunValidationError,
)
from school_fees.settings import get_company_settings


@pytest.fixture
def billed(company):
	made = Billed()
	yield made
	made.cleanup()


def preview_of(run) -> frappe._dict:
	return frappe._dict(run.get_preview())


def skipped(preview) -> set[tuple[str, str, str]]:
	return {(row["student"], row["installment"], row["reason"]) for row in preview.skipped}


def billed_installments(preview) -> dict[str, list[tuple[str, float]]]:
	return {
		row["student"]: [(i["installment"], i["amount"]) for i in row["installments"]]
		for row in preview.to_bill
	}


# ---------------------------------------------------------------- validation


def test_run_must_bill_a_submitted_structure_of_its_school_and_term(company):
	draft = make_fee_structure(company, submit=False)
	with pytest.raises(BillingRunValidationError, match="must be submitted"):
		make_billing_run(company, draft.name, scope="All")

	structure = make_fee_structure(company)
	other_term = make_fee_structure(company).academic_term
	with pytest.raises(BillingRunValidationError, match="is for term"):
		make_billing_run(company, structure.name, scope="All", academic_term=other_term)
	with pytest.raises(BillingRunValidationError, match="has no installment"):
		make_billing_run(company, structure.name, scope="All", installment="Q9")
	with pytest.raises(BillingRunValidationError, match="due date"):
		make_billing_run(
			company, structure.name, scope="All", posting_date="2026-05-01", due_date="2026-04-30"
		)


def test_scope_fields_must_match_the_scope(company):
	structure = make_fee_structure(company)
	with pytest.raises(BillingRunValidationError, match="Grade"):
		make_billing_run(company, structure.name, scope="Grade")
	with pytest.raises(BillingRunValidationError, match="Add the students"):
		make_billing_run(company, structure.name, scope="Manual")
	other_group = make_fee_group(company)  # a group billed with another structure
	with pytest.raises(BillingRunValidationError, match="is billed with Fee Structure"):
		make_billing_run(company, structure.name, scope="Fee Group", fee_group=other_group.name)

	grade = make_grade().name
	run = make_billing_run(company, structure.name, scope="Grade", grade=grade, class_section=None)
	run.scope = "All"
	run.save()
	assert run.grade is None  # fields of another scope are cleared


# ---------------------------------------------------------------- preview


def test_preview_lists_who_is_billed_for_how_much_and_who_is_skipped_why(company):
	structure = make_fee_structure(company, proration_method="Remaining installments")
	section = make_class_section(company).name
	billed_in_full = make_student(company, class_section=section)
	inactive = make_student(company, class_section=section, status="Inactive")
	excluded = make_student(company, class_section=section)
	has_q1 = make_student(company, class_section=section)
	leaves_in_august = make_student(company, class_section=section, leaving_date="2026-08-01")
	joins_in_august = make_student(company, class_section=section, joining_date="2026-08-15")
	make_student(company)  # another class: not in scope
	(q1,) = InvoiceBuilder(structure.name).build(has_q1.name, installment="Q1")
	insert_invoice(q1)

	run = make_billing_run(
		company, structure.name, scope="Class Section", class_section=section, exclusions=[excluded.name]
	)
	preview = preview_of(run)

	assert preview.blocking == []
	assert preview.in_scope == 6
	all_four = [("Q1", 3000.0), ("Q2", 3000.0), ("Q3", 3000.0), ("Q4", 3000.0)]
	assert billed_installments(preview) == {
		billed_in_full.name: all_four,
		has_q1.name: all_four[1:],
		leaves_in_august.name: all_four[:2],
		joins_in_august.name: all_four[1:],
	}
	assert (preview.student_count, preview.invoice_count, preview.total_amount) == (4, 12, 36000.0)
	assert preview.currency == "INR"  # the school's currency, whatever the user's default
	assert skipped(preview) == {
		*((inactive.name, q, INACTIVE) for q in ("Q1", "Q2", "Q3", "Q4")),
		*((excluded.name, q, EXCLUDED) for q in ("Q1", "Q2", "Q3", "Q4")),
		(has_q1.name, "Q1", ALREADY_INVOICED),
		(leaves_in_august.name, "Q3", LEFT),
		(leaves_in_august.name, "Q4", LEFT),
		(joins_in_august.name, "Q1", NOTHING_TO_BILL),
	}
	assert preview.skipped_by_reason == {
		EXCLUDED: 4,
		INACTIVE: 4,
		ALREADY_INVOICED: 1,
		LEFT: 2,
		NOTHING_TO_BILL: 1,
	}
	assert preview.failing == []
	assert not frappe.get_all("Fee Invoice", filters={"billing_run": run.name})  # nothing written


def test_preview_shows_students_that_cannot_be_billed(company):
	structure = make_fee_structure(company)
	ok, refused = make_student(company), make_student(company)
	frappe.db.set_value("Customer", refused.customer, "disabled", 1)
	run = make_billing_run(company, structure.name, students=[ok.name, refused.name], installment="Q2")

	preview = preview_of(run)
	assert [row["student"] for row in preview.to_bill] == [ok.name]
	assert [(row["student"], row["installment"]) for row in preview.failing] == [(refused.name, "Q2")]
	assert "is disabled" in preview.failing[0]["error"]
	assert preview.failing_count == 1

	run.issue_invoices = 0
	run.save()  # drafts do not post to the customer: nothing refuses them
	assert {row["student"] for row in preview_of(run).to_bill} == {ok.name, refused.name}


def test_a_student_in_two_groups_of_the_structure_is_billed_once(company):
	structure = make_fee_structure(company)
	first, second = make_fee_group(company, structure.name), make_fee_group(company, structure.name)
	student = make_student(company, fee_groups=[first.name, second.name])
	# joining a group created the student's drafts; an accountant deleted them to bill by run
	for name in frappe.get_all("Fee Invoice", filters={"student": student.name}, pluck="name"):
		frappe.delete_doc("Fee Invoice", name)
	alone = make_student(company, fee_groups=[first.name])
	for name in frappe.get_all("Fee Invoice", filters={"student": alone.name}, pluck="name"):
		frappe.delete_doc("Fee Invoice", name)

	by_group = preview_of(make_billing_run(company, structure.name, scope="Fee Group", fee_group=first.name))
	assert by_group.in_scope == 2
	assert [len(row["installments"]) for row in by_group.to_bill] == [4, 4]

	by_hand = preview_of(make_billing_run(company, structure.name, students=[student.name, student.name]))
	assert by_hand.in_scope == 1 and by_hand.invoice_count == 4


def test_scope_all_is_the_active_students_of_the_school(company):
	structure = make_fee_structure(company)
	active, withdrawn = (
		make_student(company),
		make_student(company, status="Withdrawn", joining_date="2025-04-01", leaving_date="2026-03-31"),
	)
	preview = preview_of(make_billing_run(company, structure.name, scope="All", installment="Q1"))
	names = {row["student"] for row in preview.to_bill}
	assert active.name in names
	assert withdrawn.name not in names | {row["student"] for row in preview.skipped}


# ---------------------------------------------------------------- blocking problems


def blocking(run) -> str:
	return " | ".join(preview_of(run).blocking)


def test_nobody_in_scope_blocks_the_run(company):
	structure = make_fee_structure(company)
	run = make_billing_run(company, structure.name, scope="Grade", grade=make_grade().name)
	assert "Nobody is in the scope" in blocking(run)
	with pytest.raises(BillingRunValidationError, match="Nobody is in the scope"):
		run.confirm()
	assert frappe.db.get_value("Billing Run", run.name, "status") == "Draft"


def test_a_cancelled_structure_blocks_the_run(company):
	structure = make_fee_structure(company)
	run = make_billing_run(company, structure.name, students=[make_student(company).name])
	structure.cancel()
	problems = preview_of(run)
	assert "is cancelled" in " ".join(problems.blocking)
	assert problems.to_bill == []


def test_a_fee_head_without_income_account_blocks_the_run(company):
	head = make_fee_head(company=company)
	structure = make_fee_structure(company, components={head.name: 5000})
	run = make_billing_run(company, structure.name, students=[make_student(company).name])
	head.reload()
	head.accounts = []
	head.save()
	assert head.name in blocking(run) and "no income account" in blocking(run)


def test_a_closed_accounting_period_blocks_the_run(company):
	structure = make_fee_structure(company)
	run = make_billing_run(
		company,
		structure.name,
		students=[make_student(company).name],
		posting_date="2026-06-10",
		due_date="2026-06-30",
	)
	assert blocking(run) == ""
	frappe.get_doc(
		{
			"doctype": "Accounting Period",
			"period_name": f"Closed June {frappe.generate_hash(length=6)}",
			"company": company,
			"start_date": "2026-06-01",
			"end_date": "2026-06-30",
			"closed_documents": [{"document_type": "Fee Invoice", "closed": 1}],
		}
	).insert()
	assert "closed accounting period" in blocking(run)


def test_a_due_date_before_the_invoice_date_blocks_the_run(company):
	structure = make_fee_structure(company)
	run = make_billing_run(
		company, structure.name, students=[make_student(company).name], posting_date="2026-05-01"
	)
	problems = blocking(run)
	assert "would be due" in problems and "Q1" in problems
	assert "Q2" not in problems
	run.due_date = "2026-05-31"
	run.save()
	assert blocking(run) == ""


# ---------------------------------------------------------------- the job


def test_the_job_bills_the_scope_links_every_invoice_and_posts_it(company, billed):
	structure = make_fee_structure(company)
	grade = make_grade().name
	section = make_class_section(company, grade=grade).name
	students = [billed.add(make_student(company, class_section=section)) for _ in range(3)]
	run = billed.add(
		make_billing_run(company, structure.name, scope="Grade", grade=grade, reference="Term 1")
	)

	assert run_billing(run.name) == COMPLETED

	run.reload()
	assert (run.status, run.to_bill_count, run.created_count, run.skipped_count, run.failed_count) == (
		COMPLETED,
		12,
		12,
		0,
		0,
	)
	assert run.total_amount == 36000 and run.errors == []
	invoices = run_invoices(run.name)
	assert len(invoices) == 12
	assert {(i.student, i.installment) for i in invoices} == {
		(s.name, q) for s in students for q in ("Q1", "Q2", "Q3", "Q4")
	}
	receivable = get_company_settings(company).receivable_account
	income = frappe.db.get_value("Company", company, "default_income_account")
	customers = {s.name: s.customer for s in students}
	for invoice in invoices:
		assert invoice.docstatus == 1
		assert invoice.status == ("Overdue" if invoice.due_date < getdate(nowdate()) else "Issued")
		assert (invoice.grand_total, invoice.outstanding_amount, invoice.paid_amount) == (3000, 3000, 0)
		gl, ple = ledger_of(invoice.name)
		customer = customers[invoice.student]
		assert gl == sorted(
			[(receivable, 3000.0, 0.0, customer, invoice.name), (income, 0.0, 3000.0, None, None)]
		)
		assert ple == [(receivable, 3000.0, customer, invoice.name)]
	actions = frappe.get_all(
		"Fee Audit Log",
		filters={"reference_doctype": "Fee Invoice", "reference_name": invoices[0].name},
		pluck="action",
		order_by="action",
	)
	assert actions == ["Created", "Issued"]


def test_rerunning_or_a_new_run_over_the_same_scope_bills_only_who_is_missing(company, billed):
	structure = make_fee_structure(company)
	first, second = billed.add(make_student(company)), billed.add(make_student(company))
	run = billed.add(make_billing_run(company, structure.name, students=[first.name]))
	assert run_billing(run.name) == COMPLETED

	assert run_billing(run.name) == COMPLETED  # again: nothing new
	run.reload()
	assert (run.created_count, run.skipped_count, run.to_bill_count) == (4, 4, 0)
	assert len(run_invoices(run.name)) == 4

	wider = billed.add(make_billing_run(company, structure.name, students=[first.name, second.name]))
	assert run_billing(wider.name) == COMPLETED
	wider.reload()
	assert (wider.created_count, wider.skipped_count) == (4, 4)
	assert {i.student for i in run_invoices(wider.name)} == {second.name}
	for student in (first, second):
		assert len(live_invoices_of(student.name, structure.name)) == 4


def test_a_student_that_fails_does_not_stop_or_undo_the_others(company, billed):
	structure = make_fee_structure(company)
	students = [billed.add(make_student(company)) for _ in range(3)]
	refused = students[1]
	frappe.db.set_value("Customer", refused.customer, "disabled", 1)
	run = billed.add(make_billing_run(company, structure.name, students=[s.name for s in students]))

	assert run_billing(run.name, batch_size=2) == PARTIALLY_COMPLETED

	run.reload()
	assert (run.created_count, run.failed_count, run.skipped_count, run.total_amount) == (8, 4, 0, 24000)
	assert [(e.student, e.installment) for e in run.errors] == [(refused.name, "Q1, Q2, Q3, Q4")]
	assert "is disabled" in run.errors[0].error
	assert live_invoices_of(refused.name, structure.name) == []
	for student in (students[0], students[2]):
		invoices = live_invoices_of(student.name, structure.name)
		assert len(invoices) == 4
		gl, ple = ledger_of(invoices[0].name)
		assert len(gl) == 2 and len(ple) == 1

	# fixed, the same run bills the missing student and forgets the old error
	frappe.db.set_value("Customer", refused.customer, "disabled", 0)
	assert run_billing(run.name) == COMPLETED
	run.reload()
	assert (run.created_count, run.failed_count, run.skipped_count, run.errors) == (12, 0, 8, [])


def test_a_run_where_every_student_fails_is_failed(company, billed):
	structure = make_fee_structure(company)
	student = billed.add(make_student(company))
	frappe.db.set_value("Customer", student.customer, "disabled", 1)
	run = billed.add(make_billing_run(company, structure.name, students=[student.name], installment="Q1"))
	assert run_billing(run.name) == FAILED
	run.reload()
	assert (run.created_count, run.failed_count, len(run.errors)) == (0, 1, 1)


def test_a_blocked_run_fails_without_creating_anything(company, billed):
	structure = make_fee_structure(company)
	student = billed.add(make_student(company))
	run = billed.add(
		make_billing_run(company, structure.name, students=[student.name], posting_date="2026-05-01")
	)
	assert run_billing(run.name) == FAILED
	run.reload()
	assert run.created_count == 0 and "would be due" in run.errors[0].error and not run.errors[0].student

	run.due_date = "2026-05-31"  # nothing was created: the failed run can be corrected and run again
	run.save()
	assert run_billing(run.name) == COMPLETED
	run.reload()
	assert (run.created_count, run.errors) == (4, [])
	assert {i.due_date.isoformat() for i in run_invoices(run.name)} == {"2026-05-31"}


def test_a_run_that_leaves_invoices_as_drafts(company, billed):
	structure = make_fee_structure(company)
	student = billed.add(make_student(company))
	run = billed.add(make_billing_run(company, structure.name, students=[student.name], issue_invoices=0))
	assert run_billing(run.name) == COMPLETED
	invoices = run_invoices(run.name)
	assert [(i.docstatus, i.status, i.outstanding_amount) for i in invoices] == [(0, "Draft", 3000)] * 4
	assert all(ledger_of(i.name) == ([], []) for i in invoices)


# ---------------------------------------------------------------- confirm, queue, delete


def test_confirm_queues_the_job_once_and_needs_a_fees_manager(company, billed):
	from frappe.utils.background_jobs import get_job, is_job_enqueued

	structure = make_fee_structure(company)
	student = billed.add(make_student(company))
	run = billed.add(make_billing_run(company, structure.name, students=[student.name], installment="Q3"))

	cashier = make_user("Fee Cashier")
	frappe.set_user(cashier)
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc("Billing Run", run.name).confirm()
	frappe.set_user("Administrator")

	run.confirm()
	assert frappe.db.get_value("Billing Run", run.name, ["status", "job_id"]) == (QUEUED, job_id_of(run.name))
	frappe.db.commit()  # the job is queued after the confirming transaction commits
	try:
		assert is_job_enqueued(job_id_of(run.name))
		with pytest.raises(BillingRunError, match="already Queued"):
			frappe.get_doc("Billing Run", run.name).confirm()

		assert run_billing(run.name) == COMPLETED  # what the worker runs
		assert [i.installment for i in run_invoices(run.name)] == ["Q3"]
	finally:
		job = get_job(job_id_of(run.name))
		if job:
			job.delete()


def test_a_draft_run_can_be_deleted_a_run_with_invoices_cannot(company, billed):
	structure = make_fee_structure(company)
	student = billed.add(make_student(company))
	draft = make_billing_run(company, structure.name, students=[student.name])
	frappe.delete_doc("Billing Run", draft.name)
	assert not frappe.db.exists("Billing Run", draft.name)

	run = billed.add(make_billing_run(company, structure.name, students=[student.name], installment="Q1"))
	assert run_billing(run.name) == COMPLETED
	with pytest.raises(BillingRunLockedError, match="cancel the single Fee Invoice"):
		frappe.delete_doc("Billing Run", run.name)
	assert frappe.db.exists("Billing Run", run.name)

	run.reload()
	run.scope = "All"
	with pytest.raises(BillingRunLockedError, match="can no longer be changed"):
		run.save()
	run.reload()
	run.reference = "Corrected reference"
	run.save()  # the reference stays editable


def test_bulk_issued_invoices_take_open_credit_when_auto_apply_is_on(company, billed):
	"""The bulk path issues invoices without their on_submit hook; open credit must still pay the
	new invoices, oldest due first (seed 002: the rest of a credit goes to the next invoices)."""
	structure = make_fee_structure(company)
	student = billed.add(make_student(company))
	note = make_credit_note(company, student.name, amount=4000, posting_date="2026-03-01")
	run = billed.add(make_billing_run(company, structure.name, students=[student.name]))
	frappe.db.set_single_value("School Fees Settings", "auto_apply_credit", 1)
	frappe.db.commit()
	try:
		assert run_billing(run.name) == COMPLETED
		outstanding = {
			i.installment: (i.outstanding_amount, i.status)
			for i in frappe.get_all(
				"Fee Invoice",
				filters={"billing_run": run.name},
				fields=["installment", "outstanding_amount", "status"],
			)
		}
		assert outstanding["Q1"] == (0, "Paid")
		assert outstanding["Q2"][0] == 2000
		assert (outstanding["Q3"][0], outstanding["Q4"][0]) == (3000, 3000)
		assert frappe.db.get_value("Credit Note", note.name, "remaining_amount") == 0
		applied = frappe.get_all(
			"Payment Allocation",
			filters={"source_name": note.name, "docstatus": 1},
			fields=["name", "allocation_type"],
		)
		assert {row.allocation_type for row in applied} == {"Apply Credit"} and len(applied) == 2
	finally:
		frappe.db.rollback()
		frappe.db.set_single_value("School Fees Settings", "auto_apply_credit", 0)
		remove_payment_documents(student.customer)
		frappe.db.commit()


def remove_payment_documents(customer: str) -> None:
	"""Committed Credit Notes and Payment Allocations of a test customer, with their ledger rows."""
	for doctype, child in (("Payment Allocation", "Payment Allocation Item"), ("Credit Note", None)):
		names = frappe.get_all(doctype, filters={"customer": customer}, pluck="name") or ["-"]
		for table, against in (
			("GL Entry", "against_voucher"),
			("Payment Ledger Entry", "against_voucher_no"),
		):
			frappe.db.delete(table, {"voucher_type": doctype, "voucher_no": ("in", names)})
			frappe.db.delete(table, {"against_voucher_type": doctype, against: ("in", names)})
		if child:
			frappe.db.delete(child, {"parent": ("in", names)})
		frappe.db.delete(doctype, {"name": ("in", names)})
