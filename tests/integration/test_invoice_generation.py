"""Generating Fee Invoices from fee structures: InvoiceBuilder, the single-student API, the drafts
kept in step with the Student, and the billing key that makes double billing impossible."""

import threading

import pytest
from factories import (
	make_class_section,
	make_fee_discount,
	make_fee_group,
	make_fee_head,
	make_fee_structure,
	make_generated_invoices,
	make_income_account,
	make_student,
	make_user,
)

import frappe

from school_fees.core.billing import billing_key
from school_fees.invoicing.builder import InvoiceBuilder, make_fee_invoices
from school_fees.invoicing.keys import DuplicateBillingError, existing_billing_keys, insert_invoice
from school_fees.invoicing.structures import InvoiceGenerationError
from school_fees.ledger import posting

RECEIVABLE = "Student Fees Receivable - _TS"


@pytest.fixture
def heads(company):
	tuition_account = make_income_account(company)
	return frappe._dict(
		tuition=make_fee_head(company=company, income_account=tuition_account).name,
		annual=make_fee_head(company=company).name,
		tuition_account=tuition_account,
	)


@pytest.fixture
def structure(company, heads):
	"""Tuition 12,000 in four quarters of 25%; an annual fee of 2,000 billed whole in Q1."""
	return make_fee_structure(
		company,
		components={heads.tuition: 12000, heads.annual: 2000},
		component_shares=[("Q1", heads.annual, 100)],
	)


def items_of(doc) -> list[tuple]:
	return [(i.fee_head, i.amount, i.discount_amount, i.net_amount) for i in doc.items]


def drafts_of(student: str) -> dict[str, frappe._dict]:
	rows = frappe.get_all(
		"Fee Invoice",
		filters={"student": student},
		fields=[
			"name",
			"installment",
			"docstatus",
			"grand_total",
			"class_section",
			"fee_group",
			"proration_factor",
		],
	)
	return {row.installment: row for row in rows}


# ---------------------------------------------------------------- InvoiceBuilder


def test_builder_bills_every_installment_with_per_component_shares(company, heads, structure):
	section = make_class_section(company)
	student = make_student(company, class_section=section.name)

	docs = InvoiceBuilder(structure.name).build(student.name)

	assert [d.installment for d in docs] == ["Q1", "Q2", "Q3", "Q4"]
	assert all(d.is_new() for d in docs)
	q1, q2 = docs[0], docs[1]
	assert items_of(q1) == [(heads.tuition, 3000, 0, 3000), (heads.annual, 2000, 0, 2000)]
	assert items_of(q2) == [(heads.tuition, 3000, 0, 3000)]
	assert (q1.total, q1.discount_total, q1.grand_total, q1.outstanding_amount) == (5000, 0, 5000, 5000)
	assert sum(d.grand_total for d in docs) == 14000
	assert (str(q1.posting_date), str(q1.due_date)) == ("2026-04-01", "2026-04-15")
	assert (str(q2.posting_date), str(q2.due_date)) == ("2026-07-01", "2026-07-15")
	assert q1.billing_key == billing_key(student.name, structure.name, "Q1")
	assert (q1.student, q1.customer, q1.company) == (student.name, student.customer, company)
	assert (q1.grade, q1.class_section) == (section.grade, section.name)
	assert (q1.fee_structure, q1.academic_term) == (structure.name, structure.academic_term)
	assert (q1.receivable_account, q1.status, q1.proration_factor) == (RECEIVABLE, "Draft", 1)
	assert q1.items[0].income_account == heads.tuition_account
	assert q1.items[0].cost_center == "Main - _TS"


def test_builder_bills_one_installment_on_given_dates(company, structure):
	student = make_student(company)
	builder = InvoiceBuilder(structure.name)

	[doc] = builder.build(student.name, installment="Q3", posting_date="2026-09-20", due_date="2026-10-05")
	assert (doc.installment, str(doc.posting_date), str(doc.due_date)) == ("Q3", "2026-09-20", "2026-10-05")

	with pytest.raises(InvoiceGenerationError, match="has no installment"):
		builder.build(student.name, installment="Q9")


def test_a_draft_structure_cannot_be_billed(company):
	structure = make_fee_structure(company, submit=False)
	with pytest.raises(InvoiceGenerationError, match="must be submitted"):
		InvoiceBuilder(structure.name)


def test_discounts_stack_by_priority_and_are_snapshotted(company, heads, structure):
	sibling = make_fee_discount("Percentage", 10, priority=1, company=company)
	staff = make_fee_discount("Amount", 500, fee_heads=[heads.tuition], priority=2, company=company)
	disabled = make_fee_discount("Percentage", 50, priority=0, company=company)
	frappe.db.set_value("Fee Discount", disabled.name, "disabled", 1)
	student = make_student(company, discounts=[staff.name, sibling.name, disabled.name])

	q1 = InvoiceBuilder(structure.name).build(student.name, installment="Q1")[0]

	# 10% of 3,000 and of 2,000 first, then 500 off what is left of tuition
	assert items_of(q1) == [(heads.tuition, 3000, 800, 2200), (heads.annual, 2000, 200, 1800)]
	assert (q1.total, q1.discount_total, q1.grand_total) == (5000, 1000, 4000)
	assert [(d.fee_discount, d.fee_head, d.discount_type, d.value, d.amount) for d in q1.discounts] == [
		(sibling.name, heads.tuition, "Percentage", 10, 300),
		(sibling.name, heads.annual, "Percentage", 10, 200),
		(staff.name, heads.tuition, "Amount", 500, 500),
	]


def test_days_proration_for_a_mid_term_joiner(company, heads):
	structure = make_fee_structure(company, components={heads.tuition: 12000}, proration_method="Days")
	student = make_student(company, joining_date="2026-08-16")

	docs = {d.installment: d for d in InvoiceBuilder(structure.name).build(student.name)}

	# Q1 (Apr-Jun) ended before joining; Q2 (1 Jul - 30 Sep, 92 days) has 46 days left
	assert sorted(docs) == ["Q2", "Q3", "Q4"]
	assert docs["Q2"].proration_factor == 0.5
	assert items_of(docs["Q2"]) == [(heads.tuition, 1500, 0, 1500)]
	assert docs["Q3"].grand_total == docs["Q4"].grand_total == 3000


def test_remaining_installments_proration_for_a_mid_term_joiner(company, heads):
	structure = make_fee_structure(
		company, components={heads.tuition: 12000}, proration_method="Remaining installments"
	)
	student = make_student(company, joining_date="2026-08-16")

	docs = {d.installment: d for d in InvoiceBuilder(structure.name).build(student.name)}

	assert sorted(docs) == ["Q2", "Q3", "Q4"]
	assert [docs[q].grand_total for q in ("Q2", "Q3", "Q4")] == [3000, 3000, 3000]
	assert docs["Q2"].proration_factor == 1


def test_a_fee_group_row_from_date_prorates_like_a_join(company, heads):
	structure = make_fee_structure(company, components={heads.tuition: 12000}, proration_method="Days")
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company, joining_date="2026-04-01")
	student_row = InvoiceBuilder.student_rows([student.name])[0]
	student_row["fee_groups"] = [{"fee_group": group.name, "from_date": "2026-08-16", "to_date": None}]

	docs = {d.installment: d for d in InvoiceBuilder(structure.name).build(student_row, fee_group=group.name)}

	assert sorted(docs) == ["Q2", "Q3", "Q4"]
	assert docs["Q2"].grand_total == 1500
	assert docs["Q2"].fee_group == group.name


def test_student_rows_load_many_students_with_discounts_and_groups(company, structure):
	discount = make_fee_discount("Percentage", 5, company=company)
	group = make_fee_group(company, fee_structure=structure.name)
	first = make_student(company, discounts=[discount.name], fee_groups=[group.name])
	second = make_student(company)

	rows = {row["name"]: row for row in InvoiceBuilder.student_rows([first.name, second.name])}

	assert rows[first.name]["discounts"] == [discount.name]
	assert [g.fee_group for g in rows[first.name]["fee_groups"]] == [group.name]
	assert rows[second.name]["discounts"] == [] and rows[second.name]["fee_groups"] == []
	assert rows[first.name]["customer"] == first.customer
	assert str(rows[first.name]["joining_date"]) == "2026-04-01"


def test_gl_entries_of_an_unsaved_named_invoice_balance(company, heads, structure):
	"""The bulk billing path names documents itself and posts posting.prepare(get_gl_entries())."""
	student = make_student(company)
	doc = InvoiceBuilder(structure.name).build(student.name, installment="Q1")[0]
	doc.name = f"FINV-UNSAVED-{frappe.generate_hash(length=6)}"

	rows = posting.prepare(doc.get_gl_entries())

	assert not frappe.db.exists("Fee Invoice", doc.name)
	receivable = [r for r in rows if r.account == RECEIVABLE]
	assert [(r.debit, r.party, r.against_voucher, str(r.due_date)) for r in receivable] == [
		(5000, student.customer, doc.name, "2026-04-15")
	]
	assert sum(r.debit for r in rows) == sum(r.credit for r in rows) == 5000
	assert {r.account: r.credit for r in rows if r.credit}[heads.tuition_account] == 3000


# ---------------------------------------------------------------- make_fee_invoices


def test_make_fee_invoices_creates_issues_and_then_skips_what_is_billed(company, structure):
	student = make_student(company)  # in no fee group: nothing billed automatically

	names = make_fee_invoices(student.name, fee_structure=structure.name, installment="Q2", submit=True)
	[invoice] = [frappe.get_doc("Fee Invoice", name) for name in names]
	assert (invoice.installment, invoice.docstatus) == ("Q2", 1)
	assert invoice.status in ("Issued", "Overdue")
	assert invoice.fee_group is None  # the student is not in the structure's group

	assert make_fee_invoices(student.name, fee_structure=structure.name, installment="Q2") == []
	assert "already billed" in str(frappe.local.message_log[-1]).lower()

	rest = make_fee_invoices(student.name, fee_structure=structure.name)
	assert sorted(frappe.db.get_value("Fee Invoice", n, "installment") for n in rest) == ["Q1", "Q3", "Q4"]
	assert existing_billing_keys([billing_key(student.name, structure.name, q) for q in ("Q1", "Q5")]) == {
		billing_key(student.name, structure.name, "Q1")
	}


def test_make_fee_invoices_needs_create_permission(company, structure):
	student = make_student(company)
	frappe.set_user(make_user("Fee Cashier"))
	with pytest.raises(frappe.PermissionError):
		make_fee_invoices(student.name, fee_structure=structure.name)


# ---------------------------------------------------------------- drafts follow the student


def test_joining_a_fee_group_creates_the_drafts_once(company, structure):
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company)
	assert drafts_of(student.name) == {}

	student.append("fee_groups", {"fee_group": group.name})
	student.save()
	drafts = drafts_of(student.name)
	assert sorted(drafts) == ["Q1", "Q2", "Q3", "Q4"]
	assert {d.docstatus for d in drafts.values()} == {0}
	assert {d.fee_group for d in drafts.values()} == {group.name}
	assert drafts["Q1"].grand_total == 5000

	student.guardian_name = "Someone Else"
	student.save()
	assert len(frappe.get_all("Fee Invoice", filters={"student": student.name})) == 4
	assert make_fee_invoices(student.name) == []


def test_leaving_a_fee_group_deletes_its_drafts_but_not_issued_invoices(company, structure):
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company, fee_groups=[group.name])
	q1 = frappe.get_doc("Fee Invoice", drafts_of(student.name)["Q1"].name)
	q1.submit()

	student.reload()
	student.fee_groups = []
	student.save()

	remaining = drafts_of(student.name)
	assert sorted(remaining) == ["Q1"]
	assert remaining["Q1"].docstatus == 1
	deleted = frappe.get_all(
		"Fee Audit Log",
		filters={"action": "Deleted", "reason": ("like", f"%{group.name}%")},
		pluck="reference_name",
	)
	assert len(deleted) == 3


def test_a_class_change_rebuilds_drafts_and_leaves_issued_invoices(company, structure):
	first, second = make_class_section(company), make_class_section(company)
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company, class_section=first.name, fee_groups=[group.name])
	frappe.get_doc("Fee Invoice", drafts_of(student.name)["Q1"].name).submit()

	student.reload()
	student.class_section = second.name
	student.save()

	drafts = drafts_of(student.name)
	assert drafts["Q1"].class_section == first.name
	assert {drafts[q].class_section for q in ("Q2", "Q3", "Q4")} == {second.name}
	assert (
		frappe.db.count("Fee Audit Log", {"reference_name": drafts["Q2"].name, "action": "Recalculated"}) == 1
	)


def test_a_new_discount_recalculates_the_drafts(company, structure):
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company, fee_groups=[group.name])
	discount = make_fee_discount("Percentage", 10, company=company)

	student.reload()
	student.append("discounts", {"fee_discount": discount.name})
	student.save()

	drafts = drafts_of(student.name)
	assert [drafts[q].grand_total for q in ("Q1", "Q2", "Q3", "Q4")] == [4500, 2700, 2700, 2700]
	q1 = frappe.get_doc("Fee Invoice", drafts["Q1"].name)
	assert [(d.fee_discount, d.amount) for d in q1.discounts] == [(discount.name, 300), (discount.name, 200)]


def test_withdrawal_drops_the_drafts_after_leaving(company, structure):
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company, fee_groups=[group.name])

	student.reload()
	student.status = "Withdrawn"
	student.leaving_date = "2026-09-30"
	student.save()

	drafts = drafts_of(student.name)
	assert sorted(drafts) == ["Q1", "Q2"]  # Q3 and Q4 start after the leaving date
	assert drafts["Q2"].grand_total == 3000  # the period of leaving is billed in full


def test_moving_a_group_start_rebuilds_and_creates_drafts(company, heads):
	structure = make_fee_structure(company, components={heads.tuition: 12000}, proration_method="Days")
	group = make_fee_group(company, fee_structure=structure.name)
	student = make_student(company, fee_groups=[{"fee_group": group.name, "from_date": "2026-08-16"}])
	assert sorted(drafts_of(student.name)) == ["Q2", "Q3", "Q4"]
	assert drafts_of(student.name)["Q2"].grand_total == 1500

	student.reload()
	student.fee_groups[0].from_date = "2026-04-01"
	student.save()

	drafts = drafts_of(student.name)
	assert sorted(drafts) == ["Q1", "Q2", "Q3", "Q4"]
	assert drafts["Q2"].grand_total == 3000 and drafts["Q2"].proration_factor == 1


# ---------------------------------------------------------------- the billing key across connections


def _cleanup(names_by_doctype: dict[str, list[str]]) -> None:
	"""Remove committed test rows (children first)."""
	for doctype, names in names_by_doctype.items():
		if not names:
			continue
		for table in frappe.get_meta(doctype).get_table_fields():
			frappe.db.delete(table.options, {"parenttype": doctype, "parent": ("in", names)})
		frappe.db.delete(doctype, {"name": ("in", names)})
	frappe.db.commit()


def test_the_billing_key_refuses_a_duplicate_from_another_connection(company):
	head = make_fee_head(company=company).name  # the default income account: no new Account to clean up
	structure = make_fee_structure(company, components={head: 12000})
	student = make_student(company)
	[first] = make_generated_invoices(student.name, structure.name, installment="Q2")
	frappe.db.commit()  # the key is now visible to every other connection
	committed = {
		"Fee Invoice": [first.name],
		"Student": [student.name],
		"Customer": [student.customer],
		"Fee Structure": [structure.name],
		"Academic Term": [structure.academic_term],
		"Fee Head": [head],
	}
	site, sites_path = frappe.local.site, frappe.local.sites_path
	try:
		outcome = {}

		def second_process():
			"""Another worker, with its own site connection, billing the same installment."""
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			frappe.set_user("Administrator")
			try:
				[doc] = InvoiceBuilder(structure.name).build(student.name, installment="Q2")
				insert_invoice(doc)
				outcome["inserted"] = doc.name
			except Exception as e:
				outcome["error"] = e
			finally:
				frappe.db.rollback()
				frappe.destroy()

		worker = threading.Thread(target=second_process)
		worker.start()
		worker.join(timeout=120)
		assert isinstance(outcome.get("error"), DuplicateBillingError), outcome
		assert first.name in str(outcome["error"])

		# and the database itself refuses it, whatever the application does
		import pymysql

		conf = frappe.conf
		raw = pymysql.connect(
			host=conf.db_host or "127.0.0.1",
			port=int(conf.db_port or 3306),
			user=conf.db_user or conf.db_name,
			password=conf.db_password,
			database=conf.db_name,
		)
		try:
			with raw.cursor() as cursor, pytest.raises(pymysql.err.IntegrityError, match="billing_key"):
				cursor.execute(
					"insert into `tabFee Invoice` (name, student, customer, company, posting_date, due_date, "
					"naming_series, billing_key) values (%s, %s, %s, %s, '2026-07-01', '2026-07-15', "
					"'FINV-.YYYY.-', %s)",
					(
						f"RAW-{frappe.generate_hash(length=8)}",
						student.name,
						student.customer,
						company,
						first.billing_key,
					),
				)
			raw.rollback()
		finally:
			raw.close()
	finally:
		committed["Fee Audit Log"] = frappe.get_all(
			"Fee Audit Log", filters={"reference_name": first.name}, pluck="name"
		)
		_cleanup(committed)
