"""Factories shared by the integration tests: ``make_*`` builders with unique names.

Every name is made unique with ``frappe.generate_hash`` so tests never collide, even with data that
some other test (or a billing run) committed. Each factory returns the inserted (or submitted)
document; pass ``do_not_save=True`` where offered to get it unsaved, for validation tests.
"""

import frappe

from school_fees.setup.schools import ensure_school


def unique(prefix: str) -> str:
	return f"{prefix} {frappe.generate_hash(length=8)}"


def _save(doc, do_not_save: bool = False, submit: bool = False):
	if do_not_save:
		return doc
	doc.insert()
	if submit:
		doc.submit()
	return doc


# Masters
# -------


def make_academic_term(
	term_name: str | None = None,
	start_date: str = "2026-04-01",
	end_date: str = "2027-03-31",
	academic_year: str = "2026-27",
	do_not_save: bool = False,
):
	doc = frappe.get_doc(
		{
			"doctype": "Academic Term",
			"term_name": term_name or unique("Term"),
			"academic_year": academic_year,
			"start_date": start_date,
			"end_date": end_date,
		}
	)
	return _save(doc, do_not_save)


def make_grade(grade_name: str | None = None, sequence: int = 0):
	return frappe.get_doc(
		{"doctype": "Grade", "grade_name": grade_name or unique("Grade"), "sequence": sequence}
	).insert()


def make_class_section(
	company: str,
	grade: str | None = None,
	section: str | None = None,
	class_teacher: str | None = None,
	do_not_save: bool = False,
):
	doc = frappe.get_doc(
		{
			"doctype": "Class Section",
			"company": company,
			"grade": grade or make_grade().name,
			"section": section or frappe.generate_hash(length=6).upper(),
			"class_teacher": class_teacher,
		}
	)
	return _save(doc, do_not_save)


def make_income_account(company: str, account_name: str | None = None) -> str:
	"""A new Income ledger account of ``company`` (under Direct Income when the chart has it)."""
	parent = frappe.db.get_value(
		"Account", {"company": company, "account_name": "Direct Income", "is_group": 1}
	) or frappe.db.get_value(
		"Account", {"company": company, "root_type": "Income", "is_group": 1}, order_by="lft asc"
	)
	return (
		frappe.get_doc(
			{
				"doctype": "Account",
				"company": company,
				"account_name": account_name or unique("Fee Income"),
				"parent_account": parent,
				"is_group": 0,
			}
		)
		.insert()
		.name
	)


def make_fee_head(
	fee_head_name: str | None = None,
	company: str | None = None,
	income_account: str | None = None,
	cost_center: str | None = None,
	accounts: list[dict] | None = None,
	do_not_save: bool = False,
	**kwargs,
):
	"""A fee head; with ``company`` it gets an account row (income account defaults to the company's
	default income account). ``accounts`` gives the rows explicitly."""
	rows = list(accounts or [])
	if company and not accounts:
		rows.append(
			{
				"company": company,
				"income_account": income_account
				or frappe.db.get_value("Company", company, "default_income_account"),
				"cost_center": cost_center,
			}
		)
	doc = frappe.get_doc(
		{"doctype": "Fee Head", "fee_head_name": fee_head_name or unique("Fee"), "accounts": rows, **kwargs}
	)
	return _save(doc, do_not_save)


def make_fee_discount(
	discount_type: str = "Percentage",
	value: float = 10,
	fee_heads: list[str] | tuple = (),
	company: str | None = None,
	priority: int = 10,
	discount_name: str | None = None,
	do_not_save: bool = False,
):
	doc = frappe.get_doc(
		{
			"doctype": "Fee Discount",
			"discount_name": discount_name or unique("Discount"),
			"company": company,
			"discount_type": discount_type,
			"value": value,
			"priority": priority,
			"fee_heads": [{"fee_head": head} for head in fee_heads],
		}
	)
	return _save(doc, do_not_save)


def make_fee_structure(
	company: str,
	components: dict[str, float] | None = None,
	installments: list[tuple] | None = None,
	submit: bool = True,
	academic_term: str | None = None,
	component_shares: list[tuple] | None = None,
	do_not_save: bool = False,
	**kwargs,
):
	"""A fee structure.

	``components``: {fee head: amount} (default: one new fee head of 12,000);
	``installments``: [(label, issue_date, due_date, percentage)] (default: four quarters of 25%);
	``component_shares``: [(installment label, fee head, percentage)] per-head overrides;
	other keyword arguments are set on the document (late-fee fields, proration_method, ...).
	"""
	if components is None:
		components = {make_fee_head(company=company).name: 12000}
	if installments is None:
		installments = [
			("Q1", "2026-04-01", "2026-04-15", 25),
			("Q2", "2026-07-01", "2026-07-15", 25),
			("Q3", "2026-10-01", "2026-10-15", 25),
			("Q4", "2027-01-01", "2027-01-15", 25),
		]
	doc = frappe.get_doc(
		{
			"doctype": "Fee Structure",
			"structure_name": kwargs.pop("structure_name", None) or unique("Structure"),
			"company": company,
			"academic_term": academic_term or make_academic_term().name,
			"components": [{"fee_head": head, "amount": amount} for head, amount in components.items()],
			"installments": [
				{"installment": label, "issue_date": issue, "due_date": due, "percentage": pct}
				for label, issue, due, pct in installments
			],
			"component_shares": [
				{"installment": label, "fee_head": head, "percentage": pct}
				for label, head, pct in component_shares or []
			],
			**kwargs,
		}
	)
	return _save(doc, do_not_save, submit=submit)


def make_fee_group(
	company: str,
	fee_structure: str | None = None,
	academic_term: str | None = None,
	fee_group_name: str | None = None,
	do_not_save: bool = False,
):
	if not fee_structure:
		fee_structure = make_fee_structure(company).name
	doc = frappe.get_doc(
		{
			"doctype": "Fee Group",
			"fee_group_name": fee_group_name or unique("Group"),
			"company": company,
			"fee_structure": fee_structure,
			"academic_term": academic_term
			or frappe.db.get_value("Fee Structure", fee_structure, "academic_term"),
		}
	)
	return _save(doc, do_not_save)


def make_student(company: str, do_not_save: bool = False, **kwargs):
	"""A student of ``company``; any field can be given (class_section, customer, fee_groups, ...).

	``fee_groups`` / ``discounts`` may be plain names; they become child rows."""
	fee_groups = [
		row if isinstance(row, dict) else {"fee_group": row} for row in kwargs.pop("fee_groups", [])
	]
	discounts = [
		row if isinstance(row, dict) else {"fee_discount": row} for row in kwargs.pop("discounts", [])
	]
	doc = frappe.get_doc(
		{
			"doctype": "Student",
			"student_name": unique("Student"),
			"admission_no": f"ADM-{frappe.generate_hash(length=10).upper()}",
			"company": company,
			"joining_date": "2026-04-01",
			"guardian_name": "Guardian",
			"fee_groups": fee_groups,
			"discounts": discounts,
			**kwargs,
		}
	)
	return _save(doc, do_not_save)


# Companies and users
# -------------------


def ensure_company(name: str, abbr: str) -> str:
	"""A company that stays on the site (committed): creating one takes seconds, so tests that need
	a second school share it instead of creating one each."""
	if ensure_school(name, abbr):
		frappe.db.commit()
	return name


TRUST = "_Test Trust"
TRUST_SCHOOLS = ("_Test Trust School A", "_Test Trust School B")


def ensure_trust() -> str:
	"""TRUST, a group company with the two schools TRUST_SCHOOLS under it; committed and shared like
	ensure_company. Returns the trust's name."""
	created = ensure_school(TRUST, "_TTR", is_group=True)
	for school, abbr in zip(TRUST_SCHOOLS, ("_TTA", "_TTB"), strict=True):
		created = ensure_school(school, abbr, parent_company=TRUST) or created
	if created:
		frappe.db.commit()
	return TRUST


def make_user(*roles: str, first_name: str = "Test") -> str:
	"""A desk user with exactly ``roles``; returns the user name (email)."""
	email = f"{frappe.generate_hash(length=10)}@school-fees.invalid"
	frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": first_name,
			"send_welcome_email": 0,
			"roles": [{"role": role} for role in roles],
		}
	).insert(ignore_permissions=True)
	return email


# Fee invoices
# ------------


def make_fee_invoice(
	company: str,
	student: str | None = None,
	items: list[tuple] | None = None,
	posting_date: str | None = None,
	due_date: str | None = None,
	submit: bool = False,
	do_not_save: bool = False,
	**kwargs,
):
	"""A typed (one-off) Fee Invoice. ``items``: [(fee head, amount)] or [(fee head, amount, discount)]
	(default: one new fee head of 1,000); ``student`` defaults to a new student of ``company``."""
	if items is None:
		items = [(make_fee_head(company=company).name, 1000)]
	rows = [
		{"fee_head": row[0], "amount": row[1], "discount_amount": row[2] if len(row) > 2 else 0}
		for row in items
	]
	doc = frappe.get_doc(
		{
			"doctype": "Fee Invoice",
			"company": company,
			"student": student or make_student(company).name,
			"posting_date": posting_date or frappe.utils.nowdate(),
			"due_date": due_date or posting_date or frappe.utils.nowdate(),
			"items": rows,
			**kwargs,
		}
	)
	return _save(doc, do_not_save, submit=submit)


def make_generated_invoices(
	student: str, fee_structure: str, installment: str | None = None, submit: bool = False, **build_kwargs
) -> list:
	"""Insert (and optionally submit) the invoices InvoiceBuilder makes for ``student``."""
	from school_fees.invoicing.builder import InvoiceBuilder
	from school_fees.invoicing.keys import insert_invoice

	docs = InvoiceBuilder(fee_structure).build(student, installment=installment, **build_kwargs)
	for doc in docs:
		insert_invoice(doc)
		if submit:
			doc.submit()
	return docs


def make_expense_account(company: str, account_name: str | None = None) -> str:
	"""A new Expense ledger account of ``company`` (e.g. a discount account)."""
	parent = frappe.db.get_value(
		"Account", {"company": company, "account_name": "Indirect Expenses", "is_group": 1}
	) or frappe.db.get_value(
		"Account", {"company": company, "root_type": "Expense", "is_group": 1}, order_by="lft asc"
	)
	return (
		frappe.get_doc(
			{
				"doctype": "Account",
				"company": company,
				"account_name": account_name or unique("Fee Discounts"),
				"parent_account": parent,
				"is_group": 0,
			}
		)
		.insert()
		.name
	)


# Payments, credit notes, deposits
# --------------------------------


def make_payment_allocation(
	company: str,
	customer: str,
	allocation_type: str = "Receipt",
	paid_amount: float = 0,
	posting_date: str = "2027-04-05",
	allocations: list[tuple] | None = None,
	submit: bool = True,
	do_not_save: bool = False,
	**kwargs,
):
	"""A Payment Allocation. ``allocations``: [(fee_invoice, amount)]; left out, the document fills
	them oldest due first. Receipts and refunds default to the Cash mode of payment."""
	if allocation_type in ("Receipt", "Refund") and not kwargs.get("paid_to"):
		kwargs.setdefault("mode_of_payment", "Cash")
	doc = frappe.get_doc(
		{
			"doctype": "Payment Allocation",
			"allocation_type": allocation_type,
			"company": company,
			"customer": customer,
			"posting_date": posting_date,
			"paid_amount": paid_amount,
			"allocations": [
				{"fee_invoice": invoice, "allocated_amount": amount} for invoice, amount in allocations or []
			],
			**kwargs,
		}
	)
	return _save(doc, do_not_save, submit=submit)


def make_credit_note(
	company: str,
	student: str,
	amount: float = 250,
	posting_date: str = "2027-04-01",
	reason_type: str = "Concession",
	submit: bool = True,
	do_not_save: bool = False,
	**kwargs,
):
	doc = frappe.get_doc(
		{
			"doctype": "Credit Note",
			"company": company,
			"student": student,
			"amount": amount,
			"posting_date": posting_date,
			"reason_type": reason_type,
			**kwargs,
		}
	)
	return _save(doc, do_not_save, submit=submit)


def make_deposit(
	company: str,
	student: str,
	amount: float = 1000,
	posting_date: str = "2027-04-01",
	deposit_type: str = "Security",
	submit: bool = True,
	do_not_save: bool = False,
	**kwargs,
):
	if not kwargs.get("paid_to"):
		kwargs.setdefault("mode_of_payment", "Cash")
	doc = frappe.get_doc(
		{
			"doctype": "Deposit",
			"company": company,
			"student": student,
			"amount": amount,
			"posting_date": posting_date,
			"deposit_type": deposit_type,
			**kwargs,
		}
	)
	return _save(doc, do_not_save, submit=submit)


# Billing runs
# ------------


def make_billing_run(
	company: str,
	fee_structure: str,
	scope: str = "Manual",
	students: list[str] | tuple = (),
	posting_date: str = "2026-04-01",
	issue_invoices: int = 1,
	exclusions: list[str] | tuple = (),
	do_not_save: bool = False,
	**kwargs,
):
	"""A Draft Billing Run of ``fee_structure`` (its term by default). ``students`` fill the Manual
	scope's table, ``exclusions`` the excluded-by-hand table; other fields (installment, due_date,
	grade, class_section, fee_group, reference) go in ``kwargs``."""
	doc = frappe.get_doc(
		{
			"doctype": "Billing Run",
			"company": company,
			"academic_term": kwargs.pop("academic_term", None)
			or frappe.db.get_value("Fee Structure", fee_structure, "academic_term"),
			"fee_structure": fee_structure,
			"scope": scope,
			"posting_date": posting_date,
			"issue_invoices": issue_invoices,
			"students": [{"student": s} for s in students],
			"exclusions": [{"student": s} for s in exclusions],
			**kwargs,
		}
	)
	return _save(doc, do_not_save)
