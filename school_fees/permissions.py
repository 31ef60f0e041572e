"""Row-level permissions: a class teacher sees only the fee documents of their own sections.

Wired in hooks (``permission_query_conditions`` and ``has_permission``) for every fee doctype a class
teacher reads:

- Student and Fee Invoice carry ``class_section`` and are matched on it.
- Payment Allocation, Credit Note and Deposit carry ``student``: they are matched through the
  student's current ``class_section`` (a subquery on ``tabStudent``).
- A voucher without a student: a family receipt (Payment Allocation) is visible when one of its
  allocation rows settles a Fee Invoice of the teacher's sections (the teacher already sees that
  invoice; the receipt shows what paid it, the siblings' rows included). A Credit Note or Deposit
  without a student is a family-level document that belongs to no section: not visible.

The restriction applies to a user whose only fee role is Class
Teacher; anyone who also holds a role that reads the whole school (Fees Manager, Fee Cashier,
Principal, Trust Administrator, an Accounts role, System Manager) is not restricted here. Isolation
between schools is standard User Permission on Company.
"""

import frappe

CLASS_TEACHER = "Class Teacher"
# doctypes matched on their own class_section, and those matched through their student's
SECTION_DOCTYPES = frozenset({"Student", "Fee Invoice"})
STUDENT_DOCTYPES = frozenset({"Payment Allocation", "Credit Note", "Deposit"})
ROW_RESTRICTED_DOCTYPES = SECTION_DOCTYPES | STUDENT_DOCTYPES
SCHOOL_WIDE_ROLES = frozenset(
	{"Fees Manager", "Fee Cashier", "Principal", "Trust Administrator", "System Manager", "Administrator"}
)


def is_restricted_class_teacher(user: str | None = None) -> bool:
	roles = set(frappe.get_roles(user or frappe.session.user))
	if CLASS_TEACHER not in roles:
		return False
	return not any(role in SCHOOL_WIDE_ROLES or role.startswith("Accounts") for role in roles)


def _sections_subquery(user: str) -> str:
	return (
		"(select `tabClass Section`.`name` from `tabClass Section` "
		f"where `tabClass Section`.`class_teacher` = {frappe.db.escape(user)})"
	)


def class_teacher_query(user: str | None = None, doctype: str | None = None) -> str:
	"""SQL condition limiting a class teacher's list views and reports to their sections ("" = none)."""
	user = user or frappe.session.user
	if not is_restricted_class_teacher(user):
		return ""
	sections = _sections_subquery(user)
	if doctype not in STUDENT_DOCTYPES:
		doctype = doctype if doctype in SECTION_DOCTYPES else "Student"
		return f"`tab{doctype}`.`class_section` in {sections}"
	table = f"`tab{doctype}`"
	by_student = (
		f"{table}.`student` in (select `tabStudent`.`name` from `tabStudent` "
		f"where `tabStudent`.`class_section` in {sections})"
	)
	if doctype != "Payment Allocation":
		return by_student
	by_rows = (
		f"(ifnull({table}.`student`, '') = '' and exists (select 1 from `tabPayment Allocation Item` pai "
		"join `tabFee Invoice` fi on fi.`name` = pai.`fee_invoice` "
		f"where pai.`parent` = {table}.`name` and pai.`parenttype` = 'Payment Allocation' "
		f"and fi.`class_section` in {sections}))"
	)
	return f"({by_student} or {by_rows})"


def class_teacher_has_permission(doc, ptype: str | None = None, user: str | None = None, debug: bool = False):
	"""Deny a class teacher any document outside their sections; ``None`` leaves the decision to roles."""
	user = user or frappe.session.user
	if not is_restricted_class_teacher(user):
		return None
	sections = set(frappe.get_all("Class Section", filters={"class_teacher": user}, pluck="name"))
	if not sections:
		return False
	if doc.doctype not in STUDENT_DOCTYPES:
		return bool(doc.get("class_section")) and doc.class_section in sections
	if doc.get("student"):
		return frappe.db.get_value("Student", doc.student, "class_section") in sections
	if doc.doctype != "Payment Allocation":
		return False
	invoices = [row.fee_invoice for row in doc.get("allocations") or [] if row.get("fee_invoice")]
	return bool(
		invoices
		and frappe.db.exists(
			"Fee Invoice", {"name": ("in", invoices), "class_section": ("in", list(sections))}
		)
	)


# ---------------------------------------------------------------- child tables

# Child tables read on their own (/api/resource/<child>?parent=<parent>) get from Frappe only the
# doctype-level check of the parent: neither its User Permissions (school) nor its row conditions
# (class sections). Their rows are limited to the parents the user may list.
CHILD_PARENTS = {
	"Payment Allocation Item": "Payment Allocation",
	"Fee Invoice Item": "Fee Invoice",
	"Fee Invoice Discount": "Fee Invoice",
	"Student Fee Group": "Student",
	"Student Fee Discount": "Student",
}


def child_rows_query(user: str | None = None, doctype: str | None = None) -> str:
	"""SQL condition: a child row is listed only when the user may list its parent."""
	user = user or frappe.session.user
	parent = CHILD_PARENTS.get(doctype)
	if not parent or user == "Administrator":
		return ""
	if not frappe.has_permission(parent, "read", user=user):
		return "1=0"
	parents = frappe.get_list(parent, fields=["name"], user=user, order_by=None, run=0)
	table = f"`tab{doctype}`"
	return f"({table}.`parenttype` = {frappe.db.escape(parent)} and {table}.`parent` in ({parents}))"


# ---------------------------------------------------------------- reports and whitelisted reads


def sections_of(user: str | None = None) -> list[str] | None:
	"""The class sections `user` may see, or None when the user is not restricted to sections.

	Reports and whitelisted reads filter their rows by it (a restricted class teacher with no
	section sees nothing: an empty list)."""
	user = user or frappe.session.user
	if not is_restricted_class_teacher(user):
		return None
	return frappe.get_all("Class Section", filters={"class_teacher": user}, pluck="name")


def may_access_school(company: str) -> bool:
	"""Whether the user may see the fee figures of `company`: they may read it, or pick it (select,
	which is all ERPNext's own Auditor role holds on Company), under their User Permissions."""
	return frappe.has_permission("Company", "read", doc=company) or frappe.has_permission(
		"Company", "select", doc=company
	)


def check_school_access(company: str) -> None:
	"""Refuse a report or read for a school the user has no access to (User Permission on
	Company: a trust's group company covers every school under it). Picking the school is enough
	("select", which ERPNext's own Auditor role holds on Company without "read")."""
	if not company or not may_access_school(company):
		frappe.throw(
			frappe._("You have no access to school {0}.").format(frappe.bold(company or "-")),
			frappe.PermissionError,
		)


def schools_under(company: str) -> list[str]:
	"""The school itself, or for a trust (a group Company) every non-group company under it."""
	lft, rgt, is_group = frappe.db.get_value("Company", company, ["lft", "rgt", "is_group"])
	if not is_group:
		return [company]
	return frappe.get_all(
		"Company",
		filters={"lft": (">", lft), "rgt": ("<", rgt), "is_group": 0},
		pluck="name",
		order_by="lft",
	)


def readable_schools(company: str) -> list[str]:
	"""The schools under `company` (itself, or every school of a trust) the user may see."""
	return [school for school in schools_under(company) if may_access_school(school)]
