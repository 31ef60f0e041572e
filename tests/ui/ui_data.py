"""The browser suite's users and documents, made on the server side through frappe and committed
(the desk, served by another process, sees only committed data).

Everything is named with this run's tag, so runs never collide; the school itself is shared and
idempotent. At the end the suite disables its users (the documents stay, like a billing-run test's).
"""

import time

from factories import (
	make_academic_term,
	make_billing_run,
	make_class_section,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_student,
)

import frappe
from frappe.utils import add_days, getdate, nowdate

from school_fees.setup.schools import ensure_school

SCHOOL, ABBR = "_Test UI School", "_TUI"


def ensure_fiscal_years(years) -> None:
	for year in years:
		if frappe.db.exists("Fiscal Year", str(year)) or frappe.db.exists(
			"Fiscal Year", {"year_start_date": f"{year}-01-01"}
		):
			continue
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": str(year),
				"year_start_date": f"{year}-01-01",
				"year_end_date": f"{year}-12-31",
			}
		).insert(ignore_permissions=True)


def make_desk_user(role: str, first_name: str, tag: str, password: str, school: str) -> str:
	"""A desk user with exactly `role`, a password, and the school as their only (default) Company,
	which is how a user belongs to a school (DESIGN.md, Roles)."""
	email = f"ui-{role.lower().replace(' ', '-')}-{tag}@school-fees.invalid"
	frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": first_name,
			"last_name": tag,
			"send_welcome_email": 0,
			"new_password": password,
			"roles": [{"role": role}],
		}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": email,
			"allow": "Company",
			"for_value": school,
			"is_default": 1,
			"apply_to_all_doctypes": 1,
		}
	).insert(ignore_permissions=True)
	return email


def committed(make, attempts: int = 5):
	"""make() in its own transaction, committed; retried when another writer (a test suite running
	beside this one holds naming-series rows for a whole test) deadlocks or times it out."""
	for attempt in range(1, attempts + 1):
		try:
			result = make()
			frappe.db.commit()
			return result
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			frappe.db.rollback()
			if attempt == attempts:
				raise
			time.sleep(attempt)


def build(tag: str, password: str) -> frappe._dict:
	frappe.set_user("Administrator")
	today = getdate(nowdate())
	committed(lambda: ensure_fiscal_years(range(min(today.year, 2026) - 1, max(today.year, 2027) + 2)))
	committed(lambda: ensure_school(SCHOOL, ABBR))

	data = frappe._dict(tag=tag, company=SCHOOL, abbr=ABBR, password=password)
	for key, role, first_name in (
		("manager", "Fees Manager", "UI Manager"),
		("cashier", "Fee Cashier", "UI Cashier"),
		("teacher", "Class Teacher", "UI Teacher"),
	):
		data[key] = committed(lambda: make_desk_user(role, first_name, tag, password, SCHOOL))

	code = tag[:6].upper()
	head = committed(lambda: make_fee_head(fee_head_name=f"UI Tuition {tag}", company=SCHOOL).name)
	data.own_section = committed(
		lambda: make_class_section(SCHOOL, section=f"UI{code}A", class_teacher=data.teacher).name
	)
	data.other_section = committed(lambda: make_class_section(SCHOOL, section=f"UI{code}B").name)
	data.billing_section = committed(lambda: make_class_section(SCHOOL, section=f"UI{code}C").name)

	def student(name, section):
		return committed(lambda: make_student(SCHOOL, student_name=f"{name} {tag}", class_section=section))

	def issue(student, amount, posted_days_ago, due_in_days):
		return committed(
			lambda: (
				make_fee_invoice(
					SCHOOL,
					student=student.name,
					items=[(head, amount)],
					posting_date=str(add_days(today, -posted_days_ago)),
					due_date=str(add_days(today, due_in_days)),
					submit=True,
				).name
			)
		)

	# the cashier's student (in the teacher's section): an overdue invoice and a newer one
	payer = student("UI Payer", data.own_section)
	data.payer, data.payer_name, data.payer_customer = payer.name, payer.student_name, payer.customer
	data.old_invoice = issue(payer, 1000, 40, -10)
	data.new_invoice = issue(payer, 1500, 5, 25)

	# the manager's student (another section): one invoice cancelled from the form, two in bulk
	other = student("UI Other", data.other_section)
	data.other_student = other.name
	data.form_cancel = issue(other, 800, 3, 30)
	data.bulk_cancel = [issue(other, 900, 2, 30), issue(other, 950, 1, 30)]

	# a Draft Billing Run of one installment for a section of two students not yet billed
	data.billed_students = sorted(student(f"UI Billed {i}", data.billing_section).name for i in (1, 2))
	term = committed(lambda: make_academic_term(term_name=f"UI Term {tag}").name)
	structure = committed(
		lambda: make_fee_structure(SCHOOL, components={head: 12000}, academic_term=term).name
	)
	data.billing_run = committed(
		lambda: (
			make_billing_run(
				SCHOOL,
				structure,
				scope="Class Section",
				class_section=data.billing_section,
				installment="Q1",
				posting_date="2026-04-01",
				reference=f"UI run {tag}",
			).name
		)
	)
	return data


def disable_users(data: frappe._dict) -> None:
	for user in (data.manager, data.cashier, data.teacher):
		frappe.db.set_value("User", user, "enabled", 0)
	frappe.db.commit()
