"""Access on the real site, each as a real user made by the test: a class teacher reads only their
own sections in every fee doctype (list, form, /api/resource), the role matrix of DESIGN "Roles and
access" as built (the same table is in the README under "Roles"), credit notes need an approver
holding Fees Manager or Principal, a school's users read nothing of another school, and a Fee
Cashier makes only the kinds of payment that take or apply money the family brought."""

import json

import pytest
from factories import (
	TRUST_SCHOOLS,
	ensure_company,
	make_class_section,
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
	make_user,
)
from payment_helpers import D, assert_voucher_balances, gl_rows, invoice_state, ple_rows, remaining

import frappe
import frappe.client
from frappe.api import v1 as rest
from frappe.desk import reportview
from frappe.desk.form.save import savedocs

from school_fees.school_fees.doctype.credit_note.credit_note import CreditNoteApproverError
from school_fees.school_fees.doctype.payment_allocation.payment_allocation import (
	CREDIT_ROLES,
	AllocationTypeNotPermittedError,
)

OTHER_SCHOOL = ("_Test School B", "_TSB")
FEE_DOCTYPES = ("Student", "Fee Invoice", "Payment Allocation", "Credit Note", "Deposit")

# The role matrix as built (level 0). r read, w write, c create, d delete, s submit, x cancel,
# a amend, R report, E export, P print; "" no access.
MASTERS = ("Academic Term", "Class Section", "Fee Discount", "Fee Group", "Fee Head", "Grade", "Student")
VOUCHERS = ("Credit Note", "Deposit", "Fee Invoice", "Payment Allocation")
READ = "rREP"
ROLE_MATRIX = {
	"Fees Manager": {
		**dict.fromkeys(MASTERS, "rwcdREP"),
		"Billing Run": "rwcdREP",
		**dict.fromkeys(VOUCHERS, "rwcdsxaREP"),
		"Fee Structure": "rwcdsxaREP",
		"Fee Audit Log": READ,
		"Fee Reminder Log": READ,
		"School Fees Settings": "rwcdREP",
	},
	"Fee Cashier": {
		**dict.fromkeys(MASTERS, READ),
		"Billing Run": READ,
		"Fee Structure": READ,
		"Fee Invoice": READ,
		"Credit Note": READ,
		"Payment Allocation": "rwcsREP",
		"Deposit": "rwcsREP",
		"Fee Audit Log": "",
		"Fee Reminder Log": "",
		"School Fees Settings": "",
	},
	"Class Teacher": {
		**dict.fromkeys(MASTERS, READ),
		"Billing Run": "",
		"Fee Structure": READ,
		**dict.fromkeys(VOUCHERS, READ),
		"Fee Audit Log": "",
		"Fee Reminder Log": "",
		"School Fees Settings": "",
	},
	**{
		role: {
			**dict.fromkeys(MASTERS, READ),
			"Billing Run": READ,
			"Fee Structure": READ,
			**dict.fromkeys(VOUCHERS, READ),
			"Fee Audit Log": READ,
			"Fee Reminder Log": READ,
			"School Fees Settings": "",
		}
		for role in ("Principal", "Trust Administrator")
	},
	"Auditor": {
		**dict.fromkeys(MASTERS, READ),
		"Billing Run": READ,
		"Fee Structure": READ,
		**dict.fromkeys(VOUCHERS, READ),
		"Fee Audit Log": READ,
		"Fee Reminder Log": READ,
		"School Fees Settings": "rP",
	},
}
RIGHTS = {
	"r": "read",
	"w": "write",
	"c": "create",
	"d": "delete",
	"s": "submit",
	"x": "cancel",
	"a": "amend",
	"R": "report",
	"E": "export",
	"P": "print",
}


def built_rights(doctype: str, user: str) -> str:
	return "".join(
		letter for letter, ptype in RIGHTS.items() if frappe.has_permission(doctype, ptype, user=user)
	)


# ------------------------------------------------------------------ role matrix


def test_role_matrix_as_built():
	doctypes = set(frappe.get_all("DocType", filters={"module": "School Fees", "istable": 0}, pluck="name"))
	for role, expected in ROLE_MATRIX.items():
		assert set(expected) == doctypes, role
		user = make_user(role)
		built = {doctype: built_rights(doctype, user) for doctype in sorted(doctypes)}
		assert built == expected, role


def test_matrix_keeps_design_rules():
	for doctype, rights in ROLE_MATRIX["Fee Cashier"].items():
		assert "x" not in rights and "d" not in rights, doctype
		if doctype not in ("Payment Allocation", "Deposit"):
			assert "w" not in rights and "c" not in rights, doctype
	for role in ("Principal", "Trust Administrator", "Auditor", "Class Teacher"):
		assert all(set(rights) <= set(READ) for rights in ROLE_MATRIX[role].values()), role
	assert ROLE_MATRIX["Auditor"]["Fee Audit Log"] == READ


def test_auditor_reads_and_cannot_write(company):
	student = make_student(company)
	invoice = make_fee_invoice(company, student=student.name, submit=True)
	auditor = make_user("Auditor")
	frappe.set_user(auditor)
	assert invoice.name in frappe.get_list("Fee Invoice", filters={"name": invoice.name}, pluck="name")
	assert frappe.has_permission("Fee Invoice", "read", doc=invoice.name)
	assert not frappe.has_permission("Fee Invoice", "cancel", doc=invoice.name)
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc("Fee Invoice", invoice.name).cancel()
	with pytest.raises(frappe.PermissionError):
		make_student(company)
	from school_fees.school_fees.report.fee_invoice_register.fee_invoice_register import execute

	columns, _rows = execute(frappe._dict(company=company, from_date="2020-01-01", to_date="2030-12-31"))[:2]
	assert columns


# ------------------------------------------------------------------ class teacher


def section_documents(company: str, section: str) -> dict[str, set[str]]:
	"""A student of ``section`` with an invoice, a receipt, a scholarship credit note and a deposit,
	plus a family receipt (no student) paying another invoice of the section."""
	student = make_student(company, class_section=section)
	first = make_fee_invoice(company, student=student.name, submit=True)
	second = make_fee_invoice(company, student=student.name, submit=True)
	receipt = make_payment_allocation(
		company, student.customer, paid_amount=300, allocations=[(first.name, 300)], student=student.name
	)
	family = make_payment_allocation(
		company, student.customer, paid_amount=200, allocations=[(second.name, 200)]
	)
	assert not family.student
	note = make_credit_note(company, student.name, amount=150, reason_type="Scholarship", reason="Merit")
	deposit = make_deposit(company, student.name, amount=500)
	return {
		"Student": {student.name},
		"Fee Invoice": {first.name, second.name},
		"Payment Allocation": {receipt.name, family.name},
		"Credit Note": {note.name},
		"Deposit": {deposit.name},
	}


@pytest.fixture
def two_sections(company):
	teacher = make_user("Class Teacher")
	mine = section_documents(company, make_class_section(company, class_teacher=teacher).name)
	other = section_documents(
		company, make_class_section(company, class_teacher=make_user("Class Teacher")).name
	)
	return teacher, mine, other


def test_class_teacher_reads_only_own_sections_in_every_fee_doctype(two_sections):
	teacher, mine, other = two_sections
	frappe.set_user(teacher)
	for doctype in FEE_DOCTYPES:
		every = sorted(mine[doctype] | other[doctype])
		listed = set(frappe.get_list(doctype, filters={"name": ("in", every)}, pluck="name"))
		assert listed == mine[doctype], doctype
		# /api/resource/<doctype> answers through frappe.client.get_list with the same rules
		api = frappe.client.get_list(
			doctype, fields=["name"], filters={"name": ("in", every)}, limit_page_length=0
		)
		assert {row.name for row in api} == mine[doctype], doctype
		# the list view's count (frappe.desk.reportview.get_count) follows the same rules
		frappe.local.form_dict = frappe._dict(
			doctype=doctype, filters=frappe.as_json({"name": ["in", every]})
		)
		assert reportview.get_count() == len(mine[doctype]), doctype
		for name in mine[doctype]:
			assert frappe.has_permission(doctype, "read", doc=name), (doctype, name)
			assert not frappe.has_permission(doctype, "write", doc=name), (doctype, name)
		for name in other[doctype]:
			assert not frappe.has_permission(doctype, "read", doc=name), (doctype, name)


def test_class_teacher_is_refused_another_sections_scholarship_credit_note(two_sections):
	teacher, _mine, other = two_sections
	(note,) = other["Credit Note"]
	frappe.set_user(teacher)
	with pytest.raises(frappe.PermissionError):
		frappe.client.get("Credit Note", note)
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc("Credit Note", note).check_permission("read")
	assert not frappe.client.get_list("Credit Note", fields=["amount", "reason"], filters={"name": note})


def test_family_credit_note_or_deposit_without_student_is_not_visible_to_a_class_teacher(company):
	teacher = make_user("Class Teacher")
	section = make_class_section(company, class_teacher=teacher).name
	student = make_student(company, class_section=section)
	note = make_credit_note(company, None, customer=student.customer, amount=80)
	assert not note.student
	frappe.set_user(teacher)
	assert not frappe.get_list("Credit Note", filters={"name": note.name})
	assert not frappe.has_permission("Credit Note", "read", doc=note.name)


def test_teacher_with_a_school_wide_role_is_not_restricted(two_sections):
	_teacher, mine, other = two_sections
	frappe.get_doc("User", _teacher).add_roles("Principal")
	frappe.set_user(_teacher)
	for doctype in FEE_DOCTYPES:
		every = mine[doctype] | other[doctype]
		assert set(frappe.get_list(doctype, filters={"name": ("in", list(every))}, pluck="name")) == every


# ------------------------------------------------------------------ credit note approver


def test_credit_note_approved_by_a_user_without_the_role_is_refused(company):
	student = make_student(company)
	cashier = make_user("Fee Cashier")
	with pytest.raises(CreditNoteApproverError):
		make_credit_note(company, student.name, amount=90, approved_by=cashier)
	assert not frappe.db.exists("Credit Note", {"student": student.name, "docstatus": 1})


def test_credit_note_needs_an_approver_when_the_submitter_cannot_approve(company):
	student = make_student(company)
	accountant = make_user("Accounts Manager")
	frappe.set_user(accountant)
	with pytest.raises(CreditNoteApproverError):
		make_credit_note(company, student.name, amount=90)
	principal = make_user("Principal")
	note = make_credit_note(company, student.name, amount=90, approved_by=principal)
	assert note.docstatus == 1 and note.approved_by == principal


def test_credit_note_submitted_by_a_fees_manager_is_approved_by_them(company):
	student = make_student(company)
	manager = make_user("Fees Manager", "Accounts User")
	frappe.set_user(manager)
	note = make_credit_note(company, student.name, amount=60)
	assert note.docstatus == 1
	assert frappe.db.get_value("Credit Note", note.name, "approved_by") == manager


# ------------------------------------------------------------------ school isolation


def school_documents(company: str) -> dict[str, str]:
	student = make_student(company)
	invoice = make_fee_invoice(company, student=student.name, submit=True)
	receipt = make_payment_allocation(
		company, student.customer, paid_amount=100, allocations=[(invoice.name, 100)], student=student.name
	)
	note = make_credit_note(company, student.name, amount=50)
	deposit = make_deposit(company, student.name, amount=300)
	return {
		"Student": student.name,
		"Fee Invoice": invoice.name,
		"Payment Allocation": receipt.name,
		"Credit Note": note.name,
		"Deposit": deposit.name,
	}


@pytest.fixture
def two_schools(company):
	other = ensure_company(*OTHER_SCHOOL)
	return company, school_documents(company), other, school_documents(other)


def school_user(*roles: str, company: str) -> str:
	user = make_user(*roles)
	frappe.get_doc(
		{"doctype": "User Permission", "user": user, "allow": "Company", "for_value": company}
	).insert(ignore_permissions=True)
	return user


def test_fees_manager_of_school_a_reads_nothing_of_school_b(two_schools):
	from frappe.desk.search import search_link
	from frappe.www.printview import get_html_and_style

	from school_fees.ledger.balances import get_student_balance
	from school_fees.student_profile import get_billing_profile, get_credit_history

	company, mine, other, theirs = two_schools
	manager = school_user("Fees Manager", company=company)
	logged = {
		school: frappe.get_all(
			"Fee Audit Log", filters={"reference_name": ("in", list(docs.values()))}, pluck="name"
		)
		for school, docs in ((company, mine), (other, theirs))
	}
	assert logged[company] and logged[other]
	frappe.set_user(manager)
	# the audit log: each row carries its document's school (User Permission on Company applies)
	assert set(
		frappe.get_list(
			"Fee Audit Log", filters={"name": ("in", logged[company] + logged[other])}, pluck="name"
		)
	) == set(logged[company])
	for doctype in FEE_DOCTYPES:
		names = [mine[doctype], theirs[doctype]]
		assert frappe.get_list(doctype, filters={"name": ("in", names)}, pluck="name") == [mine[doctype]]
		api = frappe.client.get_list(doctype, fields=["name"], filters={"name": ("in", names)})
		assert [row.name for row in api] == [mine[doctype]], doctype
		assert frappe.has_permission(doctype, "read", doc=mine[doctype]), doctype
		assert get_html_and_style(doctype, mine[doctype])["html"]
		for ptype in ("read", "print", "write", "cancel"):
			assert not frappe.has_permission(doctype, ptype, doc=theirs[doctype]), (doctype, ptype)
		with pytest.raises(frappe.PermissionError):
			frappe.client.get(doctype, theirs[doctype])
		with pytest.raises(frappe.PermissionError):
			get_html_and_style(doctype, theirs[doctype])
	# link queries (the Student picker of every fee form)
	found = {row["value"] for row in search_link("Student", theirs["Student"], page_length=50)}
	assert theirs["Student"] not in found
	found = {row["value"] for row in search_link("Student", mine["Student"], page_length=50)}
	assert mine["Student"] in found
	# whitelisted reads check the student on the server
	assert get_student_balance(student=mine["Student"])["student"] == mine["Student"]
	for method in (get_student_balance, get_billing_profile, get_credit_history):
		with pytest.raises(frappe.PermissionError):
			method(student=theirs["Student"])
	# a family balance by customer: a Customer has no school, so the schools billing it are checked
	with pytest.raises(frappe.PermissionError):
		get_student_balance(customer=frappe.db.get_value("Fee Invoice", theirs["Fee Invoice"], "customer"))
	# reports refuse the other school
	from school_fees.school_fees.report.fee_invoice_register.fee_invoice_register import execute

	with pytest.raises(frappe.PermissionError):
		execute(frappe._dict(company=other, from_date="2020-01-01", to_date="2030-12-31"))
	columns = execute(frappe._dict(company=company, from_date="2020-01-01", to_date="2030-12-31"))[0]
	assert columns


def test_principal_reads_the_whole_school_and_cannot_cancel(two_schools):
	company, mine, _other, theirs = two_schools
	frappe.set_user(school_user("Principal", company=company))
	for doctype in FEE_DOCTYPES:
		assert frappe.has_permission(doctype, "read", doc=mine[doctype]), doctype
		assert not frappe.has_permission(doctype, "read", doc=theirs[doctype]), doctype
	invoice = frappe.get_doc("Fee Invoice", mine["Fee Invoice"])
	with pytest.raises(frappe.PermissionError):
		invoice.cancel()
	assert frappe.db.get_value("Fee Invoice", invoice.name, "docstatus") == 1


def test_fee_cashier_records_a_receipt_and_cannot_cancel_or_issue_credit(two_schools):
	company, mine, _other, _theirs = two_schools
	cashier = school_user("Fee Cashier", company=company)
	student = frappe.get_doc("Student", mine["Student"])
	invoice = make_fee_invoice(company, student=student.name, submit=True)
	frappe.set_user(cashier)
	receipt = make_payment_allocation(
		company, student.customer, paid_amount=120, allocations=[(invoice.name, 120)], student=student.name
	)
	assert receipt.docstatus == 1 and receipt.owner == cashier
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc("Payment Allocation", receipt.name).cancel()
	with pytest.raises(frappe.PermissionError):
		make_credit_note(company, student.name, amount=40)


# ------------------------------------------------------------------ views and prints audited


IP = "203.0.113.7"  # TEST-NET-3: what Frappe put in frappe.local.request_ip for the request


@pytest.fixture
def request_ip():
	frappe.local.request_ip = IP
	yield IP
	del frappe.local.request_ip


def served(path: str, status: int = 200, **args) -> None:
	"""Run the app's after_request hook as Frappe does once it has answered ``path`` with ``args``
	(werkzeug's own Request and Response; the arguments are Frappe's form_dict)."""
	from werkzeug.test import EnvironBuilder
	from werkzeug.wrappers import Response

	from school_fees.access_audit import after_request

	request = EnvironBuilder(path=path, query_string=args).get_request()
	frappe.local.form_dict = frappe._dict(args)
	after_request(response=Response(status=status), request=request)


def audit_rows(doctype: str, name: str) -> list[tuple]:
	return [
		(row.action, row.user, row.ip_address, row.company)
		for row in frappe.get_all(
			"Fee Audit Log",
			filters={"reference_doctype": doctype, "reference_name": name, "action": ("in", READS)},
			fields=["action", "user", "ip_address", "company"],
			order_by="creation asc",
		)
	]


READS = ("Viewed", "Printed", "Exported")


def test_opening_printing_and_pdf_of_a_voucher_are_audited_with_user_and_ip(company, request_ip):
	from frappe.desk.form.load import getdoc

	from school_fees.school_fees.doctype.fee_invoice.fee_invoice import get_invoice_history

	student = make_student(company)
	invoice = make_fee_invoice(company, student=student.name, submit=True)
	deposit = make_deposit(company, student.name, amount=300)
	manager = school_user("Fees Manager", company=company)
	frappe.set_user(manager)
	for doctype, name in (("Fee Invoice", invoice.name), ("Deposit", deposit.name)):
		assert frappe.get_meta(doctype).track_views, doctype
		getdoc(doctype, name)  # the form opened: Frappe's View Log
		served("/printview", doctype=doctype, name=name, format="Standard")
		served("/api/method/frappe.utils.print_format.download_pdf", doctype=doctype, name=name)
		assert audit_rows(doctype, name) == [
			("Viewed", manager, IP, company),
			("Printed", manager, IP, company),
			("Printed", manager, IP, company),
		], doctype
	# several invoices printed into one PDF from the list
	other = make_fee_invoice(company, student=student.name, submit=True)
	served(
		"/api/method/frappe.utils.print_format.download_multi_pdf",
		doctype="Fee Invoice",
		name=frappe.as_json([other.name]),
	)
	assert audit_rows("Fee Invoice", other.name) == [("Printed", manager, IP, company)]
	# the invoice form's audit trail shows them, in order, with the IP
	trail = get_invoice_history(invoice.name)["audit"]
	assert [(row.action, row.ip_address) for row in trail if row.user == manager] == [
		("Viewed", IP),
		("Printed", IP),
		("Printed", IP),
	]
	assert [row.timestamp for row in trail] == sorted(row.timestamp for row in trail)


def test_a_refused_print_or_another_apps_document_records_nothing(company, request_ip):
	invoice = make_fee_invoice(company, student=make_student(company).name, submit=True)
	served("/printview", status=403, doctype="Fee Invoice", name=invoice.name)
	served(
		"/api/method/frappe.utils.print_format.download_pdf",
		status=500,
		doctype="Fee Invoice",
		name=invoice.name,
	)
	assert audit_rows("Fee Invoice", invoice.name) == []
	served("/printview", doctype="Company", name=company)
	assert audit_rows("Company", company) == []


def test_report_and_list_exports_are_audited_in_the_school_exported(company, request_ip):
	manager = school_user("Fees Manager", company=company)
	frappe.set_user(manager)
	filters = {"company": company, "from_date": "2026-01-01", "to_date": "2026-12-31"}
	served(
		"/api/method/frappe.desk.query_report.export_query",
		report_name="Fee Invoice Register",
		file_format_type="Excel",
		filters=frappe.as_json(filters),
	)
	served(
		"/api/method/frappe.desk.reportview.export_query",
		doctype="Fee Invoice",
		file_format_type="CSV",
		filters=frappe.as_json([["Fee Invoice", "company", "=", company]]),
	)
	# Data Export with records, and Data Import's empty template (not an export of records)
	served(
		"/api/method/frappe.core.doctype.data_export.exporter.export_data",
		doctype="Deposit",
		with_data="1",
		file_type="Excel",
		filters=frappe.as_json({"company": company}),
	)
	served(
		"/api/method/frappe.core.doctype.data_import.data_import.download_template",
		doctype="Credit Note",
		export_records="blank_template",
	)
	assert audit_rows("DocType", "Deposit")[-1:] == [("Exported", manager, IP, company)]
	assert audit_rows("DocType", "Credit Note") == []
	# an ERPNext report is not the app's to audit
	served("/api/method/frappe.desk.query_report.export_query", report_name="General Ledger", filters="{}")
	assert audit_rows("Report", "Fee Invoice Register")[-1:] == [("Exported", manager, IP, company)]
	assert audit_rows("DocType", "Fee Invoice")[-1:] == [("Exported", manager, IP, company)]
	assert audit_rows("Report", "General Ledger") == []
	reason = frappe.get_all(
		"Fee Audit Log",
		filters={"reference_name": "Fee Invoice Register", "user": manager},
		pluck="reason",
	)[0]
	assert "Excel" in reason and company in reason
	# the Fee Audit Trail of the school lists the exports
	from school_fees.school_fees.report.fee_audit_trail.fee_audit_trail import execute

	frappe.set_user("Administrator")
	rows = execute(frappe._dict(company=company, user=manager, action="Exported"))[1]
	assert {(row.reference_doctype, row.reference_name) for row in rows} == {
		("Report", "Fee Invoice Register"),
		("DocType", "Fee Invoice"),
		("DocType", "Deposit"),
	}


# ------------------------------------------------------------------ trust and class teacher reports


def test_trust_administrator_sees_every_school_of_the_trust_only(trust, company):
	books = {school: school_documents(school) for school in TRUST_SCHOOLS}
	outside = school_documents(company)
	frappe.set_user(school_user("Trust Administrator", company=trust))
	for doctype in FEE_DOCTYPES:
		inside = {docs[doctype] for docs in books.values()}
		every = [*inside, outside[doctype]]
		assert set(frappe.get_list(doctype, filters={"name": ("in", every)}, pluck="name")) == inside
		assert not frappe.has_permission(doctype, "read", doc=outside[doctype]), doctype
		for name in inside:
			assert frappe.has_permission(doctype, "read", doc=name), (doctype, name)
			assert not frappe.has_permission(doctype, "cancel", doc=name), (doctype, name)


def test_class_teacher_reports_show_only_own_sections(two_sections, company):
	from school_fees.school_fees.report.credit_balance.credit_balance import execute as credit_balance
	from school_fees.school_fees.report.deposit_balance.deposit_balance import execute as deposit_balance
	from school_fees.school_fees.report.fee_invoice_register.fee_invoice_register import (
		execute as register,
	)

	teacher, mine, other = two_sections
	frappe.set_user(teacher)
	filters = frappe._dict(company=company, from_date="2020-01-01", to_date="2030-12-31")
	(my_student,), (their_student,) = mine["Student"], other["Student"]
	for report in (credit_balance, deposit_balance):
		students = {row.get("student") for row in report(filters)[1] if isinstance(row, dict)}
		assert my_student in students and their_student not in students, report.__module__
	invoices = {
		row.get("name") or row.get("fee_invoice") for row in register(filters)[1] if isinstance(row, dict)
	}
	assert mine["Fee Invoice"] <= invoices and not other["Fee Invoice"] & invoices


def test_child_rows_follow_their_parent(two_sections, company):
	"""/api/resource/<child table>?parent=<doctype> checks only the parent's doctype-level right."""
	teacher, mine, other = two_sections
	receipts = sorted(mine["Payment Allocation"] | other["Payment Allocation"])
	invoices = sorted(mine["Fee Invoice"] | other["Fee Invoice"])
	frappe.set_user(teacher)
	for child, parent, names, field in (
		("Payment Allocation Item", "Payment Allocation", receipts, "allocated_amount"),
		("Fee Invoice Item", "Fee Invoice", invoices, "amount"),
	):
		rows = frappe.client.get_list(
			child, parent=parent, fields=["parent", field], filters={"parent": ("in", names)}
		)
		assert {row.parent for row in rows} == mine[parent], child
	# and across schools: a Fees Manager of another school reads none of these rows
	frappe.set_user("Administrator")
	other_school = ensure_company(*OTHER_SCHOOL)
	frappe.set_user(school_user("Fees Manager", company=other_school))
	rows = frappe.client.get_list(
		"Fee Invoice Item", parent="Fee Invoice", fields=["parent"], filters={"parent": ("in", invoices)}
	)
	assert rows == []


# ------------------------------------------------------------------ kinds of payment a cashier makes

PAYMENT_ALLOCATION = "Payment Allocation"
# Each kind with what it draws on, and its amount (Apply Credit: at most this much; Apply Deposit:
# all the open invoices need), in the order a manager makes them below
KINDS = {
	("Receipt", None): 300,
	("Apply Credit", "Credit Note"): 150,
	("Apply Deposit", "Deposit"): 0,
	("Deposit to Credit", "Deposit"): 200,
	("Refund", "Deposit"): 100,
	("Refund", "Credit Note"): 50,
}
REFUSED_TO_CASHIER = [kind for kind in KINDS if kind[0] in ("Apply Credit", "Refund", "Deposit to Credit")]


@pytest.fixture
def family(company):
	"""A student with two issued invoices of 400, a credit note of 250 and a deposit of 1,000."""
	student = make_student(company)
	head = make_fee_head(company=company).name
	invoices = [
		make_fee_invoice(
			company, student=student.name, items=[(head, 400)], posting_date="2027-04-01", submit=True
		).name
		for _ in range(2)
	]
	return frappe._dict(
		company=company,
		student=student,
		invoices=invoices,
		sources={
			"Credit Note": make_credit_note(company, student.name, amount=250).name,
			"Deposit": make_deposit(company, student.name, amount=1000).name,
		},
	)


def fields_of(family, allocation_type: str, source_doctype: str | None = None) -> dict:
	"""The fields the desk or a REST client sends for this kind: the family, its source, the amount."""
	fields = {
		"allocation_type": allocation_type,
		"company": family.company,
		"customer": family.student.customer,
		"student": family.student.name,
		"posting_date": "2027-04-05",
		"paid_amount": KINDS[(allocation_type, source_doctype)],
	}
	if source_doctype:
		fields.update(source_doctype=source_doctype, source_name=family.sources[source_doctype])
	if allocation_type in ("Receipt", "Refund"):
		fields["mode_of_payment"] = "Cash"
	return fields


def allocation_of(family, allocation_type: str, source_doctype: str | None = None):
	return frappe.get_doc(
		{"doctype": PAYMENT_ALLOCATION, **fields_of(family, allocation_type, source_doctype)}
	)


def ledger_rows(voucher_no: str) -> list[tuple]:
	return gl_rows(PAYMENT_ALLOCATION, voucher_no) + ple_rows(PAYMENT_ALLOCATION, voucher_no)


def allocations_of(customer: str) -> list[str]:
	return frappe.get_all(PAYMENT_ALLOCATION, filters={"customer": customer}, pluck="name")


def outstanding(family) -> list:
	return [invoice_state(name)[0] for name in family.invoices]


def assert_refusal_names_kind_and_roles(error: Exception, allocation_type: str) -> None:
	assert isinstance(error, frappe.ValidationError)
	message = str(error)
	assert allocation_type in message and all(role in message for role in CREDIT_ROLES), message


def test_fee_cashier_takes_a_receipt_and_applies_a_deposit(family):
	cashier = school_user("Fee Cashier", company=family.company)
	frappe.set_user(cashier)
	receipt = allocation_of(family, "Receipt").insert()
	receipt.submit()
	applied = allocation_of(family, "Apply Deposit", "Deposit").insert()
	applied.submit()
	frappe.set_user("Administrator")
	for doc in (receipt, applied):
		assert doc.docstatus == 1 and doc.owner == cashier, doc.allocation_type
		assert_voucher_balances(PAYMENT_ALLOCATION, doc.name)
		assert ple_rows(PAYMENT_ALLOCATION, doc.name), doc.allocation_type
	# 300 at the counter on the oldest invoice, then the deposit pays the 100 + 400 still open
	assert [(row.fee_invoice, D(row.allocated_amount)) for row in applied.allocations] == [
		(family.invoices[0], D(100)),
		(family.invoices[1], D(400)),
	]
	assert outstanding(family) == [D(0), D(0)]
	assert remaining("Deposit", family.sources["Deposit"]) == D(500)


@pytest.mark.parametrize(("allocation_type", "source_doctype"), REFUSED_TO_CASHIER)
def test_fee_cashier_is_refused_the_kinds_that_reshape_credit(family, allocation_type, source_doctype):
	cashier = school_user("Fee Cashier", company=family.company)
	source = family.sources[source_doctype]
	held = remaining(source_doctype, source)
	frappe.set_user(cashier)
	doc = allocation_of(family, allocation_type, source_doctype)
	with pytest.raises(AllocationTypeNotPermittedError) as refused:
		doc.insert()
		doc.submit()
	frappe.set_user("Administrator")
	assert_refusal_names_kind_and_roles(refused.value, allocation_type)
	assert doc.name and not frappe.db.exists(PAYMENT_ALLOCATION, doc.name)
	assert ledger_rows(doc.name) == [] and allocations_of(family.student.customer) == []
	assert remaining(source_doctype, source) == held
	assert outstanding(family) == [D(400), D(400)]


def test_fee_cashier_is_refused_at_submit_and_through_rest_and_desk(family):
	"""The check is a validate step: a Refund a Fees Manager left in Draft is refused when the cashier
	submits it, and so are the REST API (a submit by PUT, a submitted POST) and the desk's Save of the
	form the Deposit's Refund button opens."""
	manager = school_user("Fees Manager", company=family.company)
	cashier = school_user("Fee Cashier", company=family.company)
	frappe.set_user(manager)
	draft = allocation_of(family, "Refund", "Deposit").insert()
	frappe.set_user(cashier)
	refund = fields_of(family, "Refund", "Deposit")
	new_form = {"doctype": PAYMENT_ALLOCATION, "name": "new-payment-allocation-1", "__islocal": 1, **refund}
	attempts = (  # (request body, call): submit, REST PUT (submit), REST POST (submitted), desk Save
		(None, lambda: frappe.get_doc(PAYMENT_ALLOCATION, draft.name).submit()),
		({"docstatus": 1}, lambda: rest.update_doc(PAYMENT_ALLOCATION, draft.name)),
		({**refund, "docstatus": 1}, lambda: rest.create_doc(PAYMENT_ALLOCATION)),
		(None, lambda: savedocs(json.dumps(new_form), "Save")),
	)
	for body, call in attempts:
		frappe.local.form_dict = frappe._dict(data=json.dumps(body) if body else None)
		with pytest.raises(AllocationTypeNotPermittedError) as refused:
			call()
		assert_refusal_names_kind_and_roles(refused.value, "Refund")
	frappe.local.form_dict = frappe._dict()
	frappe.set_user("Administrator")
	assert frappe.db.get_value(PAYMENT_ALLOCATION, draft.name, "docstatus") == 0
	assert allocations_of(family.student.customer) == [draft.name]
	assert ledger_rows(draft.name) == []
	assert remaining("Deposit", family.sources["Deposit"]) == D(1000)


@pytest.mark.parametrize("role", ["Fees Manager", "Accounts Manager"])
def test_a_manager_makes_every_kind(family, role):
	frappe.set_user(school_user(role, company=family.company))
	made = {}
	for kind in KINDS:
		doc = allocation_of(family, *kind).insert()
		doc.submit()
		made[kind] = doc
	frappe.set_user("Administrator")
	for doc in made.values():
		assert doc.docstatus == 1, doc.allocation_type
		assert_voucher_balances(PAYMENT_ALLOCATION, doc.name)
	# 300 received, 150 of credit and 350 of the deposit pay the 800; the deposit then moves 200 to
	# credit and pays 100 back, and the credit note pays 50 back
	assert D(made[("Apply Deposit", "Deposit")].paid_amount) == D(350)
	assert outstanding(family) == [D(0), D(0)]
	assert remaining("Deposit", family.sources["Deposit"]) == D(350)
	assert remaining("Credit Note", family.sources["Credit Note"]) == D(50)
	assert remaining(PAYMENT_ALLOCATION, made[("Deposit to Credit", "Deposit")].name) == D(200)
