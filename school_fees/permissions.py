"""Row-level permissions: a class teacher sees the students and fee invoices of their own sections.

Wired in hooks (``permission_query_conditions`` and ``has_permission``) for Student and Fee Invoice,
which both carry ``class_section``. The restriction applies to a user whose only fee role is Class
Teacher; anyone who also holds a role that reads the whole school (Fees Manager, Fee Cashier,
Principal, Trust Administrator, an Accounts role, System Manager) is not restricted here. Isolation
between schools is standard User Permission on Company.
"""

import frappe

CLASS_TEACHER = "Class Teacher"
ROW_RESTRICTED_DOCTYPES = frozenset({"Student", "Fee Invoice"})
SCHOOL_WIDE_ROLES = frozenset(
	{"Fees Manager", "Fee Cashier", "Principal", "Trust Administrator", "System Manager", "Administrator"}
)


def is_restricted_class_teacher(user: str | None = None) -> bool:
	roles = set(frappe.get_roles(user or frappe.session.user))
	if CLASS_TEACHER not in roles:
		return False
	return not any(role in SCHOOL_WIDE_ROLES or role.startswith("Accounts") for role in roles)


def class_teacher_query(user: str | None = None, doctype: str | None = None) -> str:
	"""SQL condition limiting a class teacher's list views and reports to their sections ("" = none)."""
	user = user or frappe.session.user
	if not is_restricted_class_teacher(user):
		return ""
	doctype = doctype if doctype in ROW_RESTRICTED_DOCTYPES else "Student"
	return (
		f"`tab{doctype}`.`class_section` in "
		f"(select `tabClass Section`.`name` from `tabClass Section` "
		f"where `tabClass Section`.`class_teacher` = {frappe.db.escape(user)})"
	)


def class_teacher_has_permission(doc, ptype: str | None = None, user: str | None = None, debug: bool = False):
	"""Deny a class teacher any document outside their sections; ``None`` leaves the decision to roles."""
	user = user or frappe.session.user
	if not is_restricted_class_teacher(user):
		return None
	if not doc.get("class_section"):
		return False
	return frappe.db.get_value("Class Section", doc.class_section, "class_teacher") == user


# ---------------------------------------------------------------- reports and whitelisted reads


def sections_of(user: str | None = None) -> list[str] | None:
	"""The class sections `user` may see, or None when the user is not restricted to sections.

	Reports and whitelisted reads filter their rows by it (a restricted class teacher with no
	section sees nothing: an empty list)."""
	user = user or frappe.session.user
	if not is_restricted_class_teacher(user):
		return None
	return frappe.get_all("Class Section", filters={"class_teacher": user}, pluck="name")


def check_school_access(company: str) -> None:
	"""Refuse a report or read for a school the user has no access to (User Permission on
	Company: a trust's group company covers every school under it)."""
	if not company or not frappe.has_permission("Company", "read", doc=company):
		frappe.throw(
			frappe._("You have no access to school {0}.").format(frappe.bold(company or "-")),
			frappe.PermissionError,
		)
