"""Bulk actions of the desk: one submitted document per student, each on its own savepoint."""

import json
from collections.abc import Callable

import frappe


def parse_students(students: list | str) -> list[str]:
	"""The students of a whitelisted call (a list, or its JSON from the desk)."""
	return json.loads(students) if isinstance(students, str) else students


def submit_per_student(students: list[str], savepoint: str, make_doc: Callable[[str], dict]) -> dict:
	"""Insert and submit `make_doc(student)` for each student (once each, in order). A student that
	fails is rolled back to its savepoint and reported with its error; the others still get theirs.
	Returns {"created": [names], "failed": [{student, error}]}."""
	created, failed = [], []
	for student in dict.fromkeys(students):
		frappe.db.savepoint(savepoint)
		try:
			doc = frappe.get_doc(make_doc(student))
			doc.insert()
			doc.submit()
			created.append(doc.name)
		except frappe.ValidationError as error:
			frappe.db.rollback(save_point=savepoint)
			failed.append({"student": student, "error": str(error) or error.__class__.__name__})
			frappe.clear_messages()
	return {"created": created, "failed": failed}
