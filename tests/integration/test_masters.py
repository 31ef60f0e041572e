"""Master data: every bad input is refused with a message that says what to fix."""

from contextlib import contextmanager

import pytest
from factories import (
	ensure_company,
	make_academic_term,
	make_class_section,
	make_fee_discount,
	make_fee_group,
	make_fee_head,
	make_fee_structure,
	make_grade,
	make_income_account,
	make_student,
	make_user,
	unique,
)

import frappe
from frappe.utils import strip_html

OTHER_COMPANY = "_Test School B"
OTHER_ABBR = "_TSB"


@pytest.fixture(scope="module")
def other_company(frappe_site) -> str:
	return ensure_company(OTHER_COMPANY, OTHER_ABBR)


@contextmanager
def raises(exc, *fragments):
	"""``exc`` is raised and its message (HTML stripped) contains every fragment."""
	with pytest.raises(exc) as info:
		yield info
	message = strip_html(str(info.value))
	for fragment in fragments:
		assert fragment in message, f"{fragment!r} not in {message!r}"
	frappe.clear_messages()


# Academic Term
# -------------


def test_academic_term_end_must_be_after_start():
	from school_fees.school_fees.doctype.academic_term.academic_term import AcademicTermDatesError

	with raises(AcademicTermDatesError, "must be after the start date"):
		make_academic_term(start_date="2026-04-01", end_date="2026-03-31")
	with raises(AcademicTermDatesError, "must be after the start date"):
		make_academic_term(start_date="2026-04-01", end_date="2026-04-01")
	assert make_academic_term(start_date="2026-04-01", end_date="2026-09-30").name


# Class Section
# -------------


def test_class_section_named_per_company(company, other_company):
	grade = make_grade().name
	section = make_class_section(company, grade=grade, section="A")
	assert section.section_name == f"{grade}-A"
	assert section.name == f"{grade}-A - _TS"

	other = make_class_section(other_company, grade=grade, section="A")
	assert other.name == f"{grade}-A - {OTHER_ABBR}"


def test_class_section_unique_per_company(company):
	from school_fees.school_fees.doctype.class_section.class_section import DuplicateClassSectionError

	grade = make_grade().name
	make_class_section(company, grade=grade, section="B")
	with raises(DuplicateClassSectionError, f"Class Section {grade}-B already exists in company {company}"):
		make_class_section(company, grade=grade, section="B")


# Fee Head
# --------


def test_fee_head_one_row_per_company(company):
	from school_fees.school_fees.doctype.fee_head.fee_head import DuplicateFeeHeadAccountError

	income = frappe.db.get_value("Company", company, "default_income_account")
	rows = [{"company": company, "income_account": income}] * 2
	with raises(DuplicateFeeHeadAccountError, f"company {company} appears in rows #1 and #2"):
		make_fee_head(accounts=rows)


def test_fee_head_income_account_must_be_income_of_same_company(company, other_company):
	from school_fees.accounts import InvalidAccountError

	other_income = frappe.db.get_value("Company", other_company, "default_income_account")
	with raises(InvalidAccountError, f"belongs to company {other_company}, not {company}"):
		make_fee_head(company=company, income_account=other_income)

	cash = frappe.db.get_value("Account", {"company": company, "account_type": "Cash", "is_group": 0})
	with raises(InvalidAccountError, "must be of root type Income, not Asset"):
		make_fee_head(company=company, income_account=cash)

	other_cost_center = frappe.db.get_value("Company", other_company, "cost_center")
	with raises(InvalidAccountError, f"Cost Center {other_cost_center} belongs to company {other_company}"):
		make_fee_head(company=company, cost_center=other_cost_center)


def test_get_fee_head_account(company, other_company):
	from school_fees.accounts import FeeHeadAccountMissingError, get_fee_head_account

	income = make_income_account(company)
	head = make_fee_head(company=company, income_account=income).name
	accounts = get_fee_head_account(head, company)
	assert accounts.income_account == income
	# no cost center on the row: the company's School Fees cost center
	assert accounts.cost_center == frappe.db.get_value("Company", company, "cost_center")

	with raises(
		FeeHeadAccountMissingError, f"Fee Head {head} has no income account for company {other_company}"
	):
		get_fee_head_account(head, other_company)


# Fee Discount
# ------------


@pytest.mark.parametrize(
	"discount_type, value, message",
	[
		("Percentage", 0, "more than 0 and at most 100"),
		("Percentage", 100.5, "more than 0 and at most 100"),
		("Percentage", -5, "more than 0 and at most 100"),
		("Amount", 0, "an amount discount must be more than 0"),
		("Amount", -250, "an amount discount must be more than 0"),
	],
)
def test_fee_discount_value_bounds(discount_type, value, message):
	from school_fees.school_fees.doctype.fee_discount.fee_discount import InvalidDiscountError

	with raises(InvalidDiscountError, message):
		make_fee_discount(discount_type=discount_type, value=value)


def test_fee_discount_valid_values_and_duplicate_heads(company):
	head = make_fee_head(company=company).name
	assert make_fee_discount(discount_type="Percentage", value=100).value == 100
	discount = make_fee_discount(discount_type="Amount", value=1500, fee_heads=[head, head])
	assert [row.fee_head for row in discount.fee_heads] == [head]


# Fee Structure
# -------------


def structure_error():
	from school_fees.school_fees.doctype.fee_structure.fee_structure import FeeStructureError

	return FeeStructureError


def test_fee_structure_total_is_exact(company):
	heads = [make_fee_head(company=company).name for _ in range(3)]
	structure = make_fee_structure(company, components=dict(zip(heads, [1000.10, 2000.20, 0.1], strict=True)))
	assert structure.docstatus == 1
	assert structure.total_amount == 3000.40


def test_fee_structure_installments_must_add_up_to_100(company):
	with raises(structure_error(), "installment percentages add up to 90%", "exactly 100%"):
		make_fee_structure(
			company,
			installments=[
				("Term 1", "2026-04-01", "2026-04-15", 50),
				("Term 2", "2026-10-01", "2026-10-15", 40),
			],
		)
	with raises(structure_error(), "add up to 99.99%"):
		make_fee_structure(
			company,
			installments=[
				("T1", "2026-04-01", "2026-04-15", 33.33),
				("T2", "2026-08-01", "2026-08-15", 33.33),
				("T3", "2026-12-01", "2026-12-15", 33.33),
			],
		)


def test_fee_structure_negative_installment_percentage(company):
	with raises(structure_error(), "installment Term 2: the percentage must not be negative"):
		make_fee_structure(
			company,
			installments=[
				("Term 1", "2026-04-01", "2026-04-15", 110),
				("Term 2", "2026-10-01", "2026-10-15", -10),
			],
		)


def test_fee_structure_due_date_before_issue_date(company):
	with raises(structure_error(), "installment Q1: the due date", "is before the issue date"):
		make_fee_structure(company, installments=[("Q1", "2026-04-15", "2026-04-01", 100)])


def test_fee_structure_installment_labels_unique(company):
	with raises(structure_error(), "installment label term 1 is used in rows #1 and #2"):
		make_fee_structure(
			company,
			installments=[
				("Term 1", "2026-04-01", "2026-04-15", 50),
				("term 1", "2026-10-01", "2026-10-15", 50),
			],
		)


def test_fee_structure_installments_in_issue_order(company):
	with raises(structure_error(), "installment Term 2 must be issued after installment Term 1"):
		make_fee_structure(
			company,
			installments=[
				("Term 1", "2026-10-01", "2026-10-15", 50),
				("Term 2", "2026-04-01", "2026-04-15", 50),
			],
		)


def test_fee_structure_last_installment_within_term(company):
	term = make_academic_term(start_date="2026-04-01", end_date="2026-09-30").name
	with raises(structure_error(), "is issued on", f"after academic term {term} ends"):
		make_fee_structure(
			company, academic_term=term, installments=[("Late", "2026-10-01", "2026-10-15", 100)]
		)


def test_fee_structure_fee_head_needs_income_account_for_company(company, other_company):
	from school_fees.accounts import FeeHeadAccountMissingError

	head = make_fee_head(company=other_company).name
	with raises(FeeHeadAccountMissingError, f"Fee Head {head} has no income account for company {company}"):
		make_fee_structure(company, components={head: 5000})


def test_fee_structure_negative_amount(company):
	head = make_fee_head(company=company).name
	with raises(structure_error(), f"the amount of {head} must not be negative (-100"):
		make_fee_structure(company, components={head: -100})


def test_fee_structure_needs_components(company):
	with raises(structure_error(), "add at least one fee component"):
		make_fee_structure(company, components={})


def test_fee_structure_fee_head_once(company):
	head = make_fee_head(company=company).name
	doc = make_fee_structure(company, components={head: 100}, do_not_save=True)
	doc.append("components", {"fee_head": head, "amount": 200})
	with raises(structure_error(), f"fee head {head} is in components rows #1 and #2"):
		doc.insert()


def test_fee_structure_component_shares(company):
	tuition, library = (make_fee_head(company=company).name for _ in range(2))
	installments = [
		("Term 1", "2026-04-01", "2026-04-15", 50),
		("Term 2", "2026-10-01", "2026-10-15", 50),
	]
	components = {tuition: 10000, library: 600}

	with raises(structure_error(), f"installment shares of fee head {library} add up to 90%"):
		make_fee_structure(
			company,
			components=components,
			installments=installments,
			component_shares=[("Term 1", library, 90)],
		)
	with raises(structure_error(), "installment Term 3 is not in the installments table"):
		make_fee_structure(
			company,
			components=components,
			installments=installments,
			component_shares=[("Term 3", library, 100)],
		)
	stranger = make_fee_head(company=company).name
	with raises(structure_error(), f"fee head {stranger} is not a component of this structure"):
		make_fee_structure(
			company,
			components=components,
			installments=installments,
			component_shares=[("Term 1", stranger, 100)],
		)
	with raises(structure_error(), f"fee head {library} has two shares for installment Term 1"):
		make_fee_structure(
			company,
			components=components,
			installments=installments,
			component_shares=[("Term 1", library, 50), ("term 1", library, 50)],
		)

	structure = make_fee_structure(
		company,
		components=components,
		installments=installments,
		component_shares=[("Term 1", library, 100), ("Term 2", library, 0)],
	)
	assert structure.docstatus == 1


def test_fee_structure_late_fee_rule(company):
	late_head = make_fee_head(company=company, is_late_fee=1).name
	rule = {"late_fee_applicable": 1, "late_fee_type": "Flat", "late_fee_frequency": "Once"}

	with raises(structure_error(), "the late fee value must be more than 0"):
		make_fee_structure(company, late_fee_value=0, late_fee_head=late_head, **rule)
	with raises(structure_error(), "a percentage late fee must be at most 100"):
		make_fee_structure(
			company, **{**rule, "late_fee_type": "Percent"}, late_fee_value=150, late_fee_head=late_head
		)
	with raises(structure_error(), "the late fee grace days must not be negative"):
		make_fee_structure(
			company, **rule, late_fee_value=100, late_fee_grace_days=-1, late_fee_head=late_head
		)
	with raises(structure_error(), "the late fee cap must not be negative"):
		make_fee_structure(company, **rule, late_fee_value=100, late_fee_cap=-5, late_fee_head=late_head)
	with raises(structure_error(), "choose the Late Fee Head"):
		make_fee_structure(company, **rule, late_fee_value=100)

	from school_fees.accounts import FeeHeadAccountMissingError

	unbilled_head = make_fee_head().name
	with raises(FeeHeadAccountMissingError, f"Fee Head {unbilled_head} has no income account"):
		make_fee_structure(company, **rule, late_fee_value=100, late_fee_head=unbilled_head)

	structure = make_fee_structure(
		company, **{**rule, "late_fee_frequency": "Per Month"}, late_fee_value=100, late_fee_cap=500,
		late_fee_grace_days=7, late_fee_head=late_head,
	)  # fmt: skip
	assert structure.docstatus == 1
	# the rule is ignored (not validated) when late fees do not apply
	assert make_fee_structure(company, late_fee_applicable=0, late_fee_value=-1).docstatus == 1


# Fee Group
# ---------


def test_fee_group_term_defaults_from_structure(company):
	structure = make_fee_structure(company)
	group = frappe.get_doc(
		{
			"doctype": "Fee Group",
			"fee_group_name": unique("Group"),
			"company": company,
			"fee_structure": structure.name,
		}
	).insert()
	assert group.academic_term == structure.academic_term


def test_fee_group_structure_must_match(company, other_company):
	from school_fees.school_fees.doctype.fee_group.fee_group import FeeGroupMismatchError

	draft = make_fee_structure(company, submit=False)
	with raises(FeeGroupMismatchError, f"Fee Structure {draft.name} must be submitted"):
		make_fee_group(company, fee_structure=draft.name)

	structure = make_fee_structure(company)
	other_term = make_academic_term().name
	with raises(FeeGroupMismatchError, f"is for academic term {structure.academic_term}, not {other_term}"):
		make_fee_group(company, fee_structure=structure.name, academic_term=other_term)
	with raises(FeeGroupMismatchError, f"belongs to company {company}, not {other_company}"):
		make_fee_group(other_company, fee_structure=structure.name)


# Student
# -------


def student_error(name):
	from school_fees.school_fees.doctype.student import student

	return getattr(student, name)


def test_student_gets_its_own_customer(company):
	student = make_student(company)
	customer = frappe.get_doc("Customer", student.customer)
	assert customer.customer_name == student.student_name
	assert customer.customer_type == "Individual"
	assert not frappe.db.get_value("Customer Group", customer.customer_group, "is_group")
	assert not frappe.db.get_value("Territory", customer.territory, "is_group")


def test_siblings_share_a_customer(company):
	older = make_student(company)
	customers_before = frappe.db.count("Customer")
	younger = make_student(company, customer=older.customer)
	assert younger.customer == older.customer
	assert frappe.db.count("Customer") == customers_before


def test_admission_no_unique_per_company(company, other_company):
	first = make_student(company)
	with raises(
		student_error("DuplicateAdmissionNumberError"),
		f"Admission number {first.admission_no} is already used by {first.student_name}",
		f"in company {company}",
	):
		make_student(company, admission_no=first.admission_no)
	# another school may use the same number
	assert make_student(other_company, admission_no=first.admission_no).name


def test_admission_no_unique_in_database(company):
	"""Even a write that skips validation (two saves at once) cannot duplicate the number."""
	first = make_student(company)
	copy = frappe.copy_doc(first)
	copy.name = unique("STU-COPY")
	with pytest.raises(frappe.UniqueValidationError):
		copy.db_insert()
	frappe.clear_messages()


def test_student_leaving_date_before_joining_date(company):
	with raises(student_error("StudentDatesError"), "the leaving date", "is before the joining date"):
		make_student(company, joining_date="2026-04-01", leaving_date="2026-03-31")


@pytest.mark.parametrize("status", ["Withdrawn", "Graduated"])
def test_student_leaving_status_needs_leaving_date(company, status):
	with raises(student_error("StudentDatesError"), f"set the leaving date when the status is {status}"):
		make_student(company, status=status)
	assert make_student(company, status=status, leaving_date="2027-03-31").status == status


def test_student_class_section_sets_grade_and_must_match_company(company, other_company):
	section = make_class_section(company)
	student = make_student(company, class_section=section.name)
	assert student.grade == section.grade

	foreign = make_class_section(other_company)
	with raises(
		student_error("StudentCompanyMismatchError"),
		f"Class Section {foreign.name} belongs to company {other_company}, not {company}",
	):
		make_student(company, class_section=foreign.name)


def test_student_fee_groups(company, other_company):
	group = make_fee_group(company).name
	foreign_group = make_fee_group(other_company).name
	with raises(
		student_error("StudentCompanyMismatchError"),
		f"Fee Group {foreign_group} belongs to company {other_company}, not {company}",
	):
		make_student(company, fee_groups=[foreign_group])
	with raises(student_error("StudentDatesError"), "the to date", "is before the from date"):
		make_student(
			company, fee_groups=[{"fee_group": group, "from_date": "2026-06-01", "to_date": "2026-05-01"}]
		)
	with raises(
		student_error("StudentDatesError"), f"Fee Group {group} is in rows #1 and #2 for overlapping periods"
	):
		make_student(
			company,
			fee_groups=[
				{"fee_group": group, "from_date": "2026-04-01", "to_date": "2026-09-30"},
				{"fee_group": group, "from_date": "2026-09-01"},
			],
		)
	student = make_student(
		company,
		fee_groups=[
			{"fee_group": group, "from_date": "2026-04-01", "to_date": "2026-06-30"},
			{"fee_group": group, "from_date": "2026-09-01"},
		],
	)
	assert len(student.fee_groups) == 2


def test_student_discounts(company, other_company):
	discount = make_fee_discount(company=company).name
	with raises(frappe.ValidationError, f"Fee Discount {discount} is listed twice"):
		make_student(company, discounts=[discount, discount])
	foreign = make_fee_discount(company=other_company).name
	with raises(
		student_error("StudentCompanyMismatchError"),
		f"Fee Discount {foreign} belongs to company {other_company}",
	):
		make_student(company, discounts=[foreign])
	# a discount without a company is for every school
	shared = make_fee_discount().name
	frappe.db.set_value("Fee Discount", shared, "company", None)
	assert make_student(company, discounts=[shared]).discounts


# Settings
# --------


def test_get_company_settings(company):
	from school_fees.settings import CompanySettingsMissingError, get_company_settings

	settings = get_company_settings(company)
	assert settings.receivable_account == "Student Fees Receivable - _TS"
	assert settings.deposit_account == "Student Deposits - _TS"
	assert settings.write_off_account == "Fee Write-offs - _TS"

	frappe.db.delete("School Fees Company Settings", {"company": company})
	with raises(CompanySettingsMissingError, f"Company {company} is not set up for School Fees"):
		get_company_settings(company)


def test_settings_validate_accounts(company, other_company):
	from school_fees.accounts import InvalidAccountError
	from school_fees.school_fees.doctype.school_fees_settings.school_fees_settings import (
		DuplicateCompanySettingsError,
	)

	def save_with(duplicate=False, **values):
		settings = frappe.get_single("School Fees Settings")
		row = next(row for row in settings.company_settings if row.company == company)
		row.update(values)
		if duplicate:
			settings.append("company_settings", row.as_dict(no_default_fields=True))
		settings.save()

	with raises(InvalidAccountError, "must have account type Receivable"):
		save_with(receivable_account=frappe.db.get_value("Company", company, "default_income_account"))
	with raises(
		InvalidAccountError, "Deposit Account Student Fees Receivable - _TS must be of root type Liability"
	):
		save_with(deposit_account="Student Fees Receivable - _TS")
	with raises(InvalidAccountError, f"belongs to company {other_company}, not {company}"):
		save_with(write_off_account=f"Fee Write-offs - {OTHER_ABBR}")
	with raises(DuplicateCompanySettingsError, f"company {company} already has a row"):
		save_with(duplicate=True)


# Class teacher permissions
# -------------------------


def test_class_teacher_sees_only_own_sections(company):
	teacher = make_user("Class Teacher")
	own = make_class_section(company, class_teacher=teacher)
	other = make_class_section(company)
	mine = make_student(company, class_section=own.name)
	not_mine = make_student(company, class_section=other.name)
	unassigned = make_student(company)

	frappe.set_user(teacher)
	visible = set(frappe.get_list("Student", filters={"company": company}, pluck="name"))
	assert mine.name in visible
	assert not_mine.name not in visible
	assert unassigned.name not in visible
	assert frappe.has_permission("Student", "read", doc=mine.name)
	assert not frappe.has_permission("Student", "read", doc=not_mine.name)
	assert not frappe.has_permission("Student", "read", doc=unassigned.name)


def test_school_wide_roles_are_not_restricted(company):
	from school_fees.permissions import class_teacher_has_permission, class_teacher_query

	teacher = make_user("Class Teacher")
	principal_teacher = make_user("Class Teacher", "Principal")
	accountant_teacher = make_user("Class Teacher", "Accounts User")
	section = make_class_section(company, class_teacher=teacher)
	student = make_student(company, class_section=make_class_section(company).name)

	assert "`tabFee Invoice`.`class_section` in" in class_teacher_query(teacher, "Fee Invoice")
	assert frappe.db.escape(teacher) in class_teacher_query(teacher, "Student")
	for user in (principal_teacher, accountant_teacher, "Administrator"):
		assert class_teacher_query(user, "Student") == ""
		assert class_teacher_has_permission(student, "read", user) is None
	assert class_teacher_has_permission(student, "read", teacher) is False
	assert class_teacher_has_permission(make_student(company, class_section=section.name), "read", teacher)

	frappe.set_user(principal_teacher)
	assert student.name in frappe.get_list("Student", filters={"company": company}, pluck="name")
