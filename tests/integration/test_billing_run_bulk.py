"""The bulk path of the billing job against the single-document path, and runs that race.

The differential test bills two identical students of one fee structure, one through the billing
job (bulk INSERTs) and one through `doc.insert(); doc.submit()`, and requires every column of every
row both wrote to be the same, apart from names, timestamps, owners and the names of the voucher,
student and run the row points to.

The race tests use a second and third database connection (threads): the data is committed, unique
to the test, and removed afterwards.
"""

import threading
import time

import pytest
from billing_helpers import Billed, live_invoices_of, run_invoices
from connections import Connection
from factories import (
	make_billing_run,
	make_fee_discount,
	make_fee_head,
	make_fee_structure,
	make_income_account,
	make_student,
	unique,
)

import frappe

from school_fees.billing.job import run_billing
from school_fees.core.billing import COMPLETED
from school_fees.invoicing.builder import InvoiceBuilder
from school_fees.invoicing.keys import insert_invoice

IGNORED = {"name", "creation", "modified", "owner", "modified_by"}


@pytest.fixture
def billed(company):
	made = Billed()
	yield made
	made.cleanup()


def twin_students(company, billed, **kwargs):
	"""Two students alike in everything the invoice copies (name, customer, class, discounts)."""
	first = billed.add(make_student(company, **kwargs))
	second = billed.add(
		make_student(company, student_name=first.student_name, customer=first.customer, **kwargs)
	)
	return first, second


def rows(doctype: str, filters: dict, aliases: dict[str, str], order: tuple[str, ...]) -> list[dict]:
	"""Every column of the matching rows, with the names in `aliases` replaced by their alias."""
	result = []
	for row in frappe.get_all(doctype, filters=filters, fields=["*"]):
		clean = {}
		for key, value in row.items():
			if key in IGNORED:
				continue
			if isinstance(value, str):
				for name, alias in aliases.items():
					value = value.replace(name, alias)
			clean[key] = value
		result.append(clean)
	return sorted(result, key=lambda r: tuple(str(r.get(f)) for f in order))


def written_by(invoice: frappe._dict, aliases: dict[str, str]) -> dict[str, list[dict]]:
	"""All rows an invoice wrote, normalised for comparison."""
	aliases = {invoice.name: "<INVOICE>", **aliases}
	voucher = {"voucher_type": "Fee Invoice", "voucher_no": invoice.name}
	child = {"parenttype": "Fee Invoice", "parent": invoice.name}
	return {
		"Fee Invoice": rows("Fee Invoice", {"name": invoice.name}, aliases, ("name",)),
		"Fee Invoice Item": rows("Fee Invoice Item", child, aliases, ("idx",)),
		"Fee Invoice Discount": rows("Fee Invoice Discount", child, aliases, ("idx",)),
		"GL Entry": rows("GL Entry", voucher, aliases, ("account", "debit", "credit", "cost_center")),
		"Payment Ledger Entry": rows("Payment Ledger Entry", voucher, aliases, ("account", "amount")),
		"Fee Audit Log": [
			{k: v for k, v in row.items() if k != "timestamp"}
			for row in rows(
				"Fee Audit Log",
				{"reference_doctype": "Fee Invoice", "reference_name": invoice.name},
				aliases,
				("action",),
			)
		],
	}


@pytest.mark.parametrize("issue_invoices", [1, 0], ids=["issued", "draft"])
def test_bulk_writes_exactly_the_rows_of_insert_and_submit(company, billed, issue_invoices):
	tuition = make_fee_head(company=company)
	lab = make_fee_head(company=company, income_account=make_income_account(company))
	discount = make_fee_discount("Percentage", 12.5, fee_heads=[tuition.name], company=company)
	flat = make_fee_discount("Amount", 333.33, company=company, priority=20)
	structure = make_fee_structure(
		company,
		components={tuition.name: 12345.67, lab.name: 999},
		component_shares=[("Q1", lab.name, 100)],
		proration_method="Days",
	)
	bulk_student, single_student = twin_students(
		company, billed, joining_date="2026-05-10", discounts=[discount.name, flat.name]
	)
	bulk_run = billed.add(
		make_billing_run(
			company,
			structure.name,
			students=[bulk_student.name],
			posting_date="2026-04-01",
			issue_invoices=issue_invoices,
		)
	)
	single_run = billed.add(
		make_billing_run(
			company,
			structure.name,
			students=[single_student.name],
			posting_date="2026-04-01",
			issue_invoices=issue_invoices,
		)
	)

	for doc in InvoiceBuilder(structure.name).build(
		single_student.name, posting_date=single_run.posting_date, billing_run=single_run.name
	):
		insert_invoice(doc)
		if issue_invoices:
			doc.submit()
	assert run_billing(bulk_run.name) == COMPLETED

	bulk = {i.installment: i for i in run_invoices(bulk_run.name)}
	single = {i.installment: i for i in run_invoices(single_run.name)}
	assert sorted(bulk) == sorted(single) == ["Q1", "Q2", "Q3", "Q4"]
	for installment in bulk:
		expected = written_by(
			single[installment],
			{
				single_run.name: "<RUN>",
				single_student.name: "<STUDENT>",
				single_student.admission_no: "<ADM>",
			},
		)
		actual = written_by(
			bulk[installment],
			{bulk_run.name: "<RUN>", bulk_student.name: "<STUDENT>", bulk_student.admission_no: "<ADM>"},
		)
		for table in expected:
			assert actual[table] == expected[table], f"{installment}: {table} differs"

	# the scenario exercised what it claims: prorated Q1 with two discounts, GL only when issued
	q1 = written_by(bulk["Q1"], {})
	assert 0 < q1["Fee Invoice"][0]["proration_factor"] < 1
	assert len(q1["Fee Invoice Item"]) == 2 and len(q1["Fee Invoice Discount"]) >= 2
	assert len(q1["GL Entry"]) == (3 if issue_invoices else 0)
	assert len(q1["Payment Ledger Entry"]) == (1 if issue_invoices else 0)
	assert [r["action"] for r in q1["Fee Audit Log"]] == (
		["Created", "Issued"] if issue_invoices else ["Created"]
	)
	statuses = {i.status for i in bulk.values()}
	assert statuses == ({"Overdue", "Issued"} if issue_invoices else {"Draft"})


# ---------------------------------------------------------------- runs that race


def waiting_for_series_lock(connection_id: int) -> bool:
	"""True while the connection runs its locking read of the naming series (which waits as long as
	the other writer holds the row). The process list shows a user's own connections."""
	rows = frappe.db.sql("select info from information_schema.processlist where id = %s", connection_id)
	query = (rows[0][0] or "").lower() if rows else ""
	return "tabseries" in query and "for update" in query


def committed_setup(company, billed, count: int):
	structure = make_fee_structure(company)
	students = [billed.add(make_student(company)).name for _ in range(count)]
	return structure, students


def test_a_key_taken_while_the_batch_is_written_is_skipped_and_the_rest_billed(company, billed):
	"""The retry path: another process inserts one of the batch's invoices after the job read the
	billing keys and commits while the job waits to write. The job's bulk INSERT hits the unique
	key, rolls the batch back, re-reads the keys and writes the batch again without that one."""
	structure, students = committed_setup(company, billed, 3)
	run = billed.add(make_billing_run(company, structure.name, students=students, installment="Q2"))
	frappe.db.commit()

	def hold_one_invoice():
		(doc,) = InvoiceBuilder(structure.name).build(students[1], installment="Q2")
		insert_invoice(doc)  # takes the naming-series row lock and the billing key, uncommitted
		return doc.name

	release = threading.Event()
	holder = Connection(hold_one_invoice, release)
	holder.start()
	assert holder.ready.wait(timeout=60) and holder.error is None, holder.error

	job = Connection(lambda: run_billing(run.name))
	job.start()
	deadline = time.monotonic() + 60
	while not (job.connection_id and waiting_for_series_lock(job.connection_id)):
		assert time.monotonic() < deadline, "the job never waited for the other writer"
		assert job.is_alive(), job.error
		time.sleep(0.1)
	release.set()
	holder.join(timeout=60)
	job.join(timeout=120)
	assert holder.error is None and job.error is None, (holder.error, job.error)
	assert job.result == COMPLETED

	frappe.db.rollback()
	taken = live_invoices_of(students[1], structure.name)
	assert [(i.name, i.billing_run) for i in taken] == [(holder.result, None)]
	for student in (students[0], students[2]):
		assert [(i.installment, i.billing_run) for i in live_invoices_of(student, structure.name)] == [
			("Q2", run.name)
		]
	counts = frappe.db.get_value(
		"Billing Run", run.name, ["status", "created_count", "skipped_count", "failed_count"], as_dict=True
	)
	assert counts == {"status": COMPLETED, "created_count": 2, "skipped_count": 1, "failed_count": 0}


def test_two_runs_over_the_same_students_at_once_bill_each_installment_once(company, billed):
	structure, students = committed_setup(company, billed, 12)
	first = billed.add(make_billing_run(company, structure.name, students=students, reference=unique("A")))
	second = billed.add(make_billing_run(company, structure.name, students=students, reference=unique("B")))
	frappe.db.commit()

	jobs = [Connection(lambda name=run.name: run_billing(name, batch_size=5)) for run in (first, second)]
	for job in jobs:
		job.start()
	for job in jobs:
		job.join(timeout=180)
	assert [job.error for job in jobs] == [None, None]
	assert [job.result for job in jobs] == [COMPLETED, COMPLETED]

	frappe.db.rollback()
	for student in students:
		invoices = live_invoices_of(student, structure.name)
		assert [i.installment for i in invoices] == ["Q1", "Q2", "Q3", "Q4"], student
	runs = [
		frappe.db.get_value(
			"Billing Run", run.name, ["created_count", "skipped_count", "failed_count"], as_dict=True
		)
		for run in (first, second)
	]
	assert sum(r.created_count for r in runs) == 48
	assert sum(r.skipped_count for r in runs) == 48  # whatever one run billed, the other skipped
	assert all(r.failed_count == 0 for r in runs)
