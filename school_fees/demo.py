"""A small demo school to try School Fees on.

    bench --site SITE execute school_fees.demo.load

Creates (or completes) the company "Green Valley School" with its School Fees accounts (the Company
hook sets those up), one academic term, two grades, four class sections, forty students (four pairs
of siblings share one billing customer), four fee heads with income accounts, a submitted fee
structure with four quarterly installments, a fee group with every student in it, and two discounts.

Safe to run again: everything is looked up by its natural key first, so a second run creates nothing
and says so, and a partly loaded demo is topped up. Commits at the end. Fee invoices for the demo
are not part of this loader (they belong to billing).
"""

import frappe

from school_fees.setup.schools import ensure_school

COMPANY = "Green Valley School"
ABBR = "GVS"
TERM = "GVS 2026-27"
TERM_START, TERM_END = "2026-04-01", "2027-03-31"
GRADES = (("Class 6", 6), ("Class 7", 7))
SECTIONS = ("A", "B")

FEE_HEADS = {  # fee head: (income account name, amount for the year)
	"Tuition Fee": ("Tuition Fees", 18000),
	"Computer Lab Fee": ("Computer Lab Fees", 1200),
	"Library Fee": ("Library Fees", 600),
	"Smart Class Fee": ("Smart Class Fees", 1800),
}
STRUCTURE = "GVS Annual Fees 2026-27"
INSTALLMENTS = (
	("Q1 (Apr-Jun)", "2026-04-01", "2026-04-15", 25),
	("Q2 (Jul-Sep)", "2026-07-01", "2026-07-15", 25),
	("Q3 (Oct-Dec)", "2026-10-01", "2026-10-15", 25),
	("Q4 (Jan-Mar)", "2027-01-01", "2027-01-15", 25),
)
# The library fee is billed once, with the first installment.
COMPONENT_SHARES = tuple(
	(label, "Library Fee", 100 if index == 0 else 0) for index, (label, *_dates) in enumerate(INSTALLMENTS)
)
FEE_GROUP = "GVS Class 6-7 2026-27"
SIBLING_DISCOUNT = "GVS Sibling Discount"
STAFF_DISCOUNT = "GVS Staff Child Concession"

FIRST_NAMES = (
	"Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan",
	"Ananya", "Diya", "Aadhya", "Saanvi", "Pari", "Anika", "Navya", "Myra", "Sara", "Ira",
	"Kabir", "Advik", "Rudra", "Atharv", "Dhruv", "Kiara", "Riya", "Meera", "Tara", "Avni",
	"Shaurya", "Parth", "Yash", "Om", "Veer", "Aisha", "Nisha", "Pooja", "Zoya", "Jiya",
)  # fmt: skip
SURNAMES = ("Sharma", "Verma", "Gupta", "Iyer", "Reddy", "Nair", "Patel", "Singh", "Das", "Khan")
STUDENT_COUNT = 40
# (older, younger) student numbers that are siblings: the younger shares the older's customer and
# gets the sibling discount.
SIBLINGS = ((1, 11), (2, 22), (5, 35), (8, 18))
STAFF_CHILDREN = (4,)
LATE_JOINERS = (39, 40)  # joined mid-year


def load():
	"""Load (or top up) the demo school and commit."""
	created = frappe._dict(company=0, students=0, other=0)
	company = ensure_company(created)
	term = ensure_academic_term(created)
	sections = ensure_class_sections(company, created)
	heads = ensure_fee_heads(company, created)
	structure = ensure_fee_structure(company, term, heads, created)
	fee_group = ensure_fee_group(company, structure, term, created)
	discounts = ensure_discounts(company, created)
	ensure_students(company, sections, fee_group, discounts, created)
	frappe.db.commit()

	if not (created.company or created.students or created.other):
		print(f"The demo school {COMPANY} is already loaded: nothing to do.")
	else:
		print(
			f"Demo school {COMPANY} loaded: {created.students} students and {created.other} other records "
			f"created{', with the company' if created.company else ''}."
		)


def ensure_company(created) -> str:
	if ensure_school(COMPANY, ABBR):
		created.company = 1
	return COMPANY


def ensure_academic_term(created) -> str:
	if not frappe.db.exists("Academic Term", TERM):
		frappe.get_doc(
			{
				"doctype": "Academic Term",
				"term_name": TERM,
				"academic_year": "2026-27",
				"start_date": TERM_START,
				"end_date": TERM_END,
			}
		).insert()
		created.other += 1
	return TERM


def ensure_class_sections(company: str, created) -> list[str]:
	sections = []
	for grade_name, sequence in GRADES:
		if not frappe.db.exists("Grade", grade_name):
			frappe.get_doc({"doctype": "Grade", "grade_name": grade_name, "sequence": sequence}).insert()
			created.other += 1
		for section in SECTIONS:
			name = frappe.db.get_value(
				"Class Section", {"company": company, "grade": grade_name, "section": section}
			)
			if not name:
				name = (
					frappe.get_doc(
						{
							"doctype": "Class Section",
							"company": company,
							"grade": grade_name,
							"section": section,
						}
					)
					.insert()
					.name
				)
				created.other += 1
			sections.append(name)
	return sections


def ensure_fee_heads(company: str, created) -> list[str]:
	parent = frappe.db.get_value(
		"Account", {"company": company, "account_name": "Direct Income", "is_group": 1}
	)
	for head, (account_name, _amount) in FEE_HEADS.items():
		account = ensure_income_account(company, account_name, parent, created)
		doc = (
			frappe.get_doc("Fee Head", head)
			if frappe.db.exists("Fee Head", head)
			else frappe.new_doc("Fee Head", fee_head_name=head)
		)
		if not any(row.company == company for row in doc.accounts):
			doc.append("accounts", {"company": company, "income_account": account})
			doc.save()
			created.other += 1
	return list(FEE_HEADS)


def ensure_income_account(company: str, account_name: str, parent: str, created) -> str:
	existing = frappe.db.get_value(
		"Account", {"company": company, "account_name": account_name, "is_group": 0}
	)
	if existing:
		return existing
	created.other += 1
	return (
		frappe.get_doc(
			{
				"doctype": "Account",
				"company": company,
				"account_name": account_name,
				"parent_account": parent,
				"is_group": 0,
			}
		)
		.insert()
		.name
	)


def ensure_fee_structure(company: str, term: str, heads: list[str], created) -> str:
	existing = frappe.db.get_value(
		"Fee Structure", {"company": company, "structure_name": STRUCTURE, "docstatus": 1}
	)
	if existing:
		return existing
	doc = frappe.get_doc(
		{
			"doctype": "Fee Structure",
			"structure_name": STRUCTURE,
			"company": company,
			"academic_term": term,
			"proration_method": "Remaining installments",
			"components": [{"fee_head": head, "amount": FEE_HEADS[head][1]} for head in heads],
			"installments": [
				{"installment": label, "issue_date": issue, "due_date": due, "percentage": pct}
				for label, issue, due, pct in INSTALLMENTS
			],
			"component_shares": [
				{"installment": label, "fee_head": head, "percentage": pct}
				for label, head, pct in COMPONENT_SHARES
			],
		}
	)
	doc.insert()
	doc.submit()
	created.other += 1
	return doc.name


def ensure_fee_group(company: str, structure: str, term: str, created) -> str:
	if not frappe.db.exists("Fee Group", FEE_GROUP):
		frappe.get_doc(
			{
				"doctype": "Fee Group",
				"fee_group_name": FEE_GROUP,
				"company": company,
				"fee_structure": structure,
				"academic_term": term,
			}
		).insert()
		created.other += 1
	return FEE_GROUP


def ensure_discounts(company: str, created) -> dict[str, str]:
	for name, discount_type, value, priority in (
		(SIBLING_DISCOUNT, "Percentage", 10, 10),
		(STAFF_DISCOUNT, "Amount", 3000, 20),
	):
		if not frappe.db.exists("Fee Discount", name):
			frappe.get_doc(
				{
					"doctype": "Fee Discount",
					"discount_name": name,
					"company": company,
					"discount_type": discount_type,
					"value": value,
					"priority": priority,
					"fee_heads": [{"fee_head": "Tuition Fee"}],
				}
			).insert()
			created.other += 1
	return {"sibling": SIBLING_DISCOUNT, "staff": STAFF_DISCOUNT}


def ensure_students(company: str, sections: list[str], fee_group: str, discounts: dict, created):
	older_sibling = {younger: older for older, younger in SIBLINGS}
	for number in range(1, STUDENT_COUNT + 1):
		admission_no = admission_number(number)
		if frappe.db.exists("Student", {"company": company, "admission_no": admission_no}):
			continue
		joining_date = "2026-08-16" if number in LATE_JOINERS else TERM_START
		student = frappe.new_doc("Student")
		student.update(
			{
				"student_name": student_name(number),
				"admission_no": admission_no,
				"company": company,
				"class_section": sections[(number - 1) // (STUDENT_COUNT // len(sections))],
				"joining_date": joining_date,
				"guardian_name": f"Mr. / Ms. {surname(number)}",
				"guardian_email": f"guardian{number:03d}@greenvalley.example",
				"guardian_phone": f"+91-98{number:08d}",
			}
		)
		student.append("fee_groups", {"fee_group": fee_group, "from_date": joining_date})
		if number in older_sibling:
			student.customer = frappe.db.get_value(
				"Student",
				{"company": company, "admission_no": admission_number(older_sibling[number])},
				"customer",
			)
			student.append("discounts", {"fee_discount": discounts["sibling"]})
		if number in STAFF_CHILDREN:
			student.append("discounts", {"fee_discount": discounts["staff"]})
		student.insert()
		created.students += 1


def admission_number(number: int) -> str:
	return f"GVS-2026-{number:03d}"


def surname(number: int) -> str:
	"""Siblings share their older sibling's surname."""
	older = {younger: older for older, younger in SIBLINGS}.get(number, number)
	return SURNAMES[(older - 1) % len(SURNAMES)]


def student_name(number: int) -> str:
	return f"{FIRST_NAMES[number - 1]} {surname(number)}"
