"""Desk actions that make many documents at once (credit notes and deposits for many students,
receipts from many bank lines): each document is made whole or not at all, and committed on its own.

Why a commit per document: a voucher takes its number from its naming series when it is inserted
(Frappe's getseries: a locking read of the series' counter row in tabSeries, then an update), and
that row stays locked until the transaction ends. One transaction that made fifty credit notes, or
receipts for fifty bank lines, held the series for the whole request: every other user numbering a
document of that series (a cashier recording one receipt) waited for all of it, up to MariaDB's
innodb_lock_wait_timeout, and then failed. So, as Frappe's and ERPNext's own bulk work does (and
school_fees.bulk's cancel job with commit_each), each document is committed as soon as it is done
(`one_document`): no lock it took outlives it, and a cashier waits for one document at most.

Never a half-written record: each document runs inside a savepoint; if it is refused, all of it is
rolled back to that savepoint (a deadlock victim's transaction, which the database has rolled back
entirely, held this document alone, since the ones before it are committed), its pop-up messages are
dropped, and the refusal is reported with the document; the others are kept. Every action answers
with what was created and what failed.

Under the integration tests (frappe.flags.in_test) nothing is committed: each test is one transaction,
rolled back at its end (the rule the daily jobs follow too, invoicing.jobs.commit).

Lock order: a document takes its own series (naming, in insert) before any row its submit locks (the
invoices and ledger rows it settles or draws on, payments.allocation.InvoiceBook), so two users making
one document each never wait on each other in a cycle; the one submit that makes a second document,
a Fee Invoice paid from open credit, takes that document's series first too
(payments.credit.lock_credit_series).
"""

import json
from collections.abc import Callable
from typing import TypeVar

import frappe
from frappe import _

T = TypeVar("T")

# a lock another user held too long, or the database's way out of two users waiting on each other
BUSY = (frappe.QueryTimeoutError, frappe.QueryDeadlockError)
# what refuses one document without stopping the others: reported, and the action goes on
REFUSALS = (frappe.ValidationError, frappe.PermissionError, *BUSY)


def parse_students(students: list | str) -> list[str]:
	"""The students of a whitelisted call (a list, or its JSON from the desk)."""
	return json.loads(students) if isinstance(students, str) else students


def one_document(savepoint: str, make: Callable[[], T]) -> tuple[T | None, Exception | None]:
	"""Run `make` (which makes one document) whole or not at all, then commit it (see the module
	docstring). Returns (what `make` returned, None), or (None, the refusal) when it was rolled back."""
	frappe.db.savepoint(savepoint)
	messages_before = len(frappe.local.message_log)
	try:
		made = make()
	except REFUSALS as error:
		if isinstance(error, frappe.QueryDeadlockError):
			frappe.db.rollback()  # the database rolled the transaction back already, savepoint and all
		else:
			frappe.db.rollback(save_point=savepoint)
		# the refusal goes into the answer, not into the response's pop-ups
		frappe.local.message_log = frappe.local.message_log[:messages_before]
		commit_document()
		return None, error
	frappe.db.release_savepoint(savepoint)
	commit_document()
	return made, None


def refusal_text(error: Exception) -> str:
	"""What the answer says about a refused document: the refusal's message, or, when the records it
	needed were locked by another user, that and what to do."""
	if isinstance(error, BUSY):
		return _("Another user was saving the same records, so nothing was saved for this one: run it again.")
	return str(error)


def commit_document() -> None:
	"""End the transaction of one document of a bulk action, so its locks go with it; never under a
	test, which rolls its one transaction back."""
	if not frappe.flags.in_test:
		frappe.db.commit()


def submit_per_student(students: list[str], savepoint: str, make_doc: Callable[[str], dict]) -> dict:
	"""Insert and submit `make_doc(student)` for each student (once each, in order), each document on
	its own (`one_document`). Returns {"created": [names], "failed": [{student, error}]}."""
	created, failed = [], []
	for student in dict.fromkeys(students):
		name, error = one_document(savepoint, lambda student=student: insert_and_submit(make_doc(student)))
		if error:
			failed.append({"student": student, "error": refusal_text(error) or error.__class__.__name__})
		else:
			created.append(name)
	return {"created": created, "failed": failed}


def insert_and_submit(values: dict) -> str:
	doc = frappe.get_doc(values)
	doc.insert()
	doc.submit()
	return doc.name
