"""Statements of account: one student's fee account over a period, on screen, as a PDF, by email.

`make_statement(student, from_date, to_date)` answers ``opening_balance``, ``rows`` (date,
voucher_type, voucher, description, debit, credit, balance; plus deposit and deposit_balance) and
``closing_balance``. The balance is what the student owes less the student's open credit, read from
the ledger (ledger.statements): every invoice is a debit; receipts, credit notes, deposits moved to
credit, and deposits or ERPNext advances applied to the student's invoices are credits; a refund of
credit is a debit. ``opening_balance`` + debits - credits = ``closing_balance``, which is
ledger.balances.get_balance's ``outstanding - open_credit`` on `to_date`. Deposits are the school's
debt to the family, not a payment: they are shown in their own column (``deposit``, the change of
the deposit held, and ``deposit_balance``) with ``opening_deposit`` / ``closing_deposit``, and move
the fee balance only when applied or moved to credit.

The PDF is the Jinja template templates/statement_of_account.html rendered by frappe.utils.pdf.get_pdf.
`email_statement` sends it to the student's guardian (the PDF kept as a private File on the Student
and attached to the Email Queue row). `send_class_statements` does a whole class section (its active
students) in one background job on the long queue: each guardian with an email address gets the
statement, every statement goes into one merged PDF for printing, progress is shown and the result
(with the merged PDF) is left in a Notification Log. Every emailed or printed statement is written to
the Student's Fee Audit Log.
"""

from io import BytesIO

import frappe
from frappe import _
from frappe.utils import (
	add_months,
	cint,
	escape_html,
	fmt_money,
	formatdate,
	get_first_day,
	get_last_day,
	getdate,
	nowdate,
	validate_email_address,
)
from frappe.utils.pdf import get_pdf

from school_fees import audit
from school_fees.core.money import ZERO
from school_fees.invoicing.jobs import commit
from school_fees.ledger.balances import FEE_INVOICE
from school_fees.ledger.statements import (
	deposit_before,
	deposit_movements,
	receivable_before,
	receivable_movements,
	student_sources,
)

STUDENT = "Student"
CLASS_SECTION = "Class Section"
TEMPLATE = "school_fees/templates/statement_of_account.html"
AUDIT_ACTION = "Statement"
SAVEPOINT = "class_statement"
SECONDS_PER_STUDENT = 5


class StatementPeriodError(frappe.ValidationError):
	"""The statement's period is missing or ends before it starts."""


class StatementRecipientError(frappe.ValidationError):
	"""The guardian has no email address to send the statement to."""


class StatementNotQueuedError(frappe.ValidationError):
	"""Frappe queued no email for the statement (it refused the address)."""


# ---------------------------------------------------------------- the statement


@frappe.whitelist()
def make_statement(student: str, from_date: str, to_date: str) -> dict:
	"""The student's statement of account from `from_date` to `to_date` (needs read on the student)."""
	frappe.has_permission(STUDENT, "read", doc=student, throw=True)
	return get_statement(student, from_date, to_date)


def get_statement(student: str, from_date, to_date) -> dict:
	"""The statement as a dict of Decimals (see the module docstring)."""
	from_date, to_date = check_period(from_date, to_date)
	info = frappe.db.get_value(
		STUDENT,
		student,
		[
			"name",
			"student_name",
			"admission_no",
			"company",
			"customer",
			"grade",
			"class_section",
			"guardian_name",
			"guardian_email",
		],
		as_dict=True,
	)
	if not info:
		frappe.throw(_("Student {0} not found.").format(student), frappe.DoesNotExistError)
	sources = student_sources(student)
	opening = receivable_before(sources, from_date)
	opening_deposit = deposit_before(sources, from_date)

	vouchers: dict[tuple, frappe._dict] = {}
	for row in receivable_movements(sources, from_date, to_date) + deposit_movements(
		sources, from_date, to_date
	):
		entry = vouchers.setdefault(
			(row.voucher_type, row.voucher_no, getdate(row.posting_date)),
			frappe._dict(
				date=getdate(row.posting_date),
				voucher_type=row.voucher_type,
				voucher=row.voucher_no,
				created=row.created,
				debit=ZERO,
				credit=ZERO,
				deposit=ZERO,
			),
		)
		entry.created = min(entry.created, row.created)
		entry.debit += row.get("debit") or ZERO
		entry.credit += row.get("credit") or ZERO
		entry.deposit += row.get("deposit") or ZERO

	rows = sorted(vouchers.values(), key=lambda row: (row.date, row.created, row.voucher))
	describe(rows, sources.receivable.get(FEE_INVOICE) or [])
	balance, held = opening, opening_deposit
	for row in rows:
		row.pop("created")
		balance += row.debit - row.credit
		held += row.deposit
		row.balance, row.deposit_balance = balance, held

	return {
		"student": info.name,
		"student_name": info.student_name,
		"admission_no": info.admission_no,
		"grade": info.grade,
		"class_section": info.class_section,
		"guardian_name": info.guardian_name,
		"company": info.company,
		"customer": info.customer,
		"currency": frappe.get_cached_value("Company", info.company, "default_currency"),
		"from_date": from_date,
		"to_date": to_date,
		"opening_balance": opening,
		"rows": rows,
		"total_debit": sum((row.debit for row in rows), ZERO),
		"total_credit": sum((row.credit for row in rows), ZERO),
		"closing_balance": balance,
		"opening_deposit": opening_deposit,
		"closing_deposit": held,
	}


def check_period(from_date, to_date):
	if not from_date or not to_date:
		frappe.throw(_("Give the statement's From Date and To Date."), StatementPeriodError)
	from_date, to_date = getdate(from_date), getdate(to_date)
	if to_date < from_date:
		frappe.throw(
			_("The statement's To Date {0} is before its From Date {1}.").format(
				formatdate(to_date), formatdate(from_date)
			),
			StatementPeriodError,
		)
	return from_date, to_date


def last_month() -> tuple:
	start = get_first_day(add_months(getdate(nowdate()), -1))
	return start, get_last_day(start)


# ---------------------------------------------------------------- what each row says


def describe(rows: list[frappe._dict], student_invoices: list[str]) -> None:
	"""Set each row's description from its voucher (a few queries for all rows)."""
	names: dict[str, list[str]] = {}
	for row in rows:
		names.setdefault(row.voucher_type, []).append(row.voucher)
	invoices = details(
		FEE_INVOICE,
		names,
		["name", "installment", "fee_structure", "is_late_fee", "late_fee_for", "due_date"],
	)
	structures = details(
		"Fee Structure",
		{"Fee Structure": [i.fee_structure for i in invoices.values()]},
		["name", "structure_name"],
	)
	heads: dict[str, list[str]] = {}
	for item in frappe.get_all(
		"Fee Invoice Item",
		filters={"parenttype": FEE_INVOICE, "parent": ("in", names.get(FEE_INVOICE) or [""])},
		fields=["parent", "fee_head"],
		order_by="idx",
	):
		heads.setdefault(item.parent, []).append(item.fee_head)
	allocations = details(
		"Payment Allocation",
		names,
		["name", "allocation_type", "mode_of_payment", "reference_no", "source_doctype", "source_name"],
	)
	settled: dict[str, list[str]] = {}
	for item in frappe.get_all(
		"Payment Allocation Item",
		filters={
			"parenttype": "Payment Allocation",
			"parent": ("in", names.get("Payment Allocation") or [""]),
			"fee_invoice": ("in", student_invoices or [""]),
		},
		fields=["parent", "fee_invoice"],
		order_by="idx",
	):
		settled.setdefault(item.parent, []).append(item.fee_invoice)
	notes = details("Credit Note", names, ["name", "reason_type", "reason"])
	deposits = details("Deposit", names, ["name", "deposit_type", "description"])

	for row in rows:
		if row.voucher_type == FEE_INVOICE and row.voucher in invoices:
			row.description = invoice_text(invoices[row.voucher], structures, heads.get(row.voucher) or [])
		elif row.voucher_type == "Payment Allocation" and row.voucher in allocations:
			row.description = allocation_text(allocations[row.voucher], settled.get(row.voucher) or [])
		elif row.voucher_type == "Credit Note" and row.voucher in notes:
			note = notes[row.voucher]
			row.description = _("Credit note: {0}").format(_(note.reason_type)) + (
				f" ({note.reason})" if note.reason else ""
			)
		elif row.voucher_type == "Deposit" and row.voucher in deposits:
			deposit = deposits[row.voucher]
			row.description = _("{0} deposit received").format(_(deposit.deposit_type)) + (
				f" ({deposit.description})" if deposit.description else ""
			)
		else:
			row.description = _(row.voucher_type)


def details(doctype: str, names: dict, fields: list[str]) -> dict[str, frappe._dict]:
	wanted = [name for name in names.get(doctype) or [] if name]
	if not wanted:
		return {}
	return {row.name: row for row in frappe.get_all(doctype, filters={"name": ("in", wanted)}, fields=fields)}


def invoice_text(invoice, structures: dict, heads: list[str]) -> str:
	if invoice.is_late_fee:
		text = _("Late fee on {0}").format(invoice.late_fee_for)
	elif invoice.installment:
		structure = structures.get(invoice.fee_structure)
		text = ", ".join(
			part for part in (structure and structure.structure_name, invoice.installment) if part
		)
	else:
		text = ", ".join(dict.fromkeys(heads)) or _("Fee Invoice")
	return _("{0} (due {1})").format(text, formatdate(invoice.due_date))


def allocation_text(allocation, invoices: list[str]) -> str:
	kind = allocation.allocation_type
	to = _(" to {0}").format(", ".join(invoices)) if invoices else ""
	if kind == "Receipt":
		how = ", ".join(part for part in (allocation.mode_of_payment, allocation.reference_no) if part)
		return _("Payment received") + (f" ({how})" if how else "") + to
	if kind == "Apply Credit":
		return _("Credit {0} applied").format(allocation.source_name or "") + to
	if kind == "Apply Deposit":
		return _("Deposit {0} applied").format(allocation.source_name or "") + to
	if kind == "Refund":
		return _("Refund of {0}").format(allocation.source_name or "") + (
			f" ({allocation.mode_of_payment})" if allocation.mode_of_payment else ""
		)
	if kind == "Deposit to Credit":
		return _("Deposit {0} moved to credit").format(allocation.source_name or "")
	return _(kind or "Payment Allocation")


# ---------------------------------------------------------------- print (PDF)


def statement_html(statement: dict) -> str:
	currency = statement["currency"]
	return frappe.render_template(
		TEMPLATE,
		{
			"statement": statement,
			"money": lambda value: fmt_money(value, currency=currency),
			"formatdate": formatdate,
			"printed_on": nowdate(),
			"has_deposits": bool(
				statement["opening_deposit"]
				or statement["closing_deposit"]
				or any(row.deposit for row in statement["rows"])
			),
		},
	)


def statement_pdf(statement: dict) -> bytes:
	return get_pdf(statement_html(statement))


def statement_file_name(statement: dict) -> str:
	who = (statement["admission_no"] or statement["student"]).replace("/", "-").replace(" ", "-")
	return f"Statement-{who}-{statement['from_date']}-{statement['to_date']}.pdf"


@frappe.whitelist()
def download_statement(student: str, from_date: str, to_date: str) -> None:
	"""The statement as a PDF download (needs read and print on the student)."""
	frappe.has_permission(STUDENT, "read", doc=student, throw=True)
	frappe.has_permission(STUDENT, "print", doc=student, throw=True)
	statement = get_statement(student, from_date, to_date)
	frappe.local.response.filename = statement_file_name(statement)
	frappe.local.response.filecontent = statement_pdf(statement)
	frappe.local.response.type = "pdf"
	audit.log_read(STUDENT, student, AUDIT_ACTION, reason=period_text(statement) + " " + _("printed."))


def period_text(statement: dict) -> str:
	return _("Statement {0} to {1}").format(
		formatdate(statement["from_date"]), formatdate(statement["to_date"])
	)


# ---------------------------------------------------------------- email


@frappe.whitelist(methods=["POST"])
def email_statement(student: str, from_date: str, to_date: str) -> dict:
	"""Email the statement (PDF attached) to the student's guardian; needs the email right on Student."""
	frappe.has_permission(STUDENT, "email", doc=student, throw=True)
	return send_statement(get_statement(student, from_date, to_date))


def guardian_email(student: str) -> str | None:
	return (
		validate_email_address((frappe.db.get_value(STUDENT, student, "guardian_email") or "").strip())
		or None
	)


def send_statement(statement: dict, pdf: bytes | None = None) -> dict:
	"""Queue the statement to the guardian; returns recipient, email_queue and file_url (the PDF,
	kept as a private File on the Student)."""
	student = statement["student"]
	recipient = guardian_email(student)
	if not recipient:
		frappe.throw(
			_("The guardian of {0} has no email address.").format(frappe.bold(statement["student_name"])),
			StatementRecipientError,
		)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": statement_file_name(statement),
			"attached_to_doctype": STUDENT,
			"attached_to_name": student,
			"is_private": 1,
			"content": pdf or statement_pdf(statement),
		}
	).insert(ignore_permissions=True)
	period = (formatdate(statement["from_date"]), formatdate(statement["to_date"]))
	closing = fmt_money(statement["closing_balance"], currency=statement["currency"])
	paragraphs = (
		_("Dear {0},").format(statement["guardian_name"] or _("Parent / Guardian")),
		_("Please find attached the statement of account of {0} from {1} to {2}.").format(
			statement["student_name"], *period
		),
		_("Balance on {0}: {1}.").format(period[1], closing),
		statement["company"],
	)
	message = "".join(f"<p>{escape_html(text)}</p>" for text in paragraphs)
	queue = frappe.sendmail(
		recipients=[recipient],
		subject=_("{0}: statement of account of {1}, {2} to {3}").format(
			statement["company"],
			statement["student_name"],
			formatdate(statement["from_date"]),
			formatdate(statement["to_date"]),
		),
		message=message,
		reference_doctype=STUDENT,
		reference_name=student,
		attachments=[{"fid": file.name}],
		add_unsubscribe_link=0,
	)
	if not queue:
		frappe.throw(_("The email to {0} could not be queued.").format(recipient), StatementNotQueuedError)
	audit.log(
		STUDENT,
		student,
		AUDIT_ACTION,
		reason=period_text(statement) + " " + _("emailed to {0}.").format(recipient),
	)
	return {"recipient": recipient, "email_queue": queue.name, "file_url": file.file_url}


# ---------------------------------------------------------------- a class section in one job


@frappe.whitelist(methods=["POST"])
def send_class_statements(
	class_section: str, from_date: str | None = None, to_date: str | None = None
) -> dict:
	"""Queue the statements of a class section's active students (default: last month) as one
	background job; returns {"queued": True, "job_id": ..., "count": n}."""
	frappe.has_permission(CLASS_SECTION, "read", doc=class_section, throw=True)
	frappe.has_permission(STUDENT, "email", throw=True)
	if not (from_date and to_date):
		from_date, to_date = last_month()
	from_date, to_date = check_period(from_date, to_date)
	count = len(class_students(class_section))
	job_id = f"school_fees_class_statements::{frappe.generate_hash(length=12)}"
	frappe.enqueue(
		"school_fees.statements.run_class_statements",
		queue="long",
		timeout=max(1500, SECONDS_PER_STUDENT * count),
		job_id=job_id,
		enqueue_after_commit=True,
		class_section=class_section,
		from_date=str(from_date),
		to_date=str(to_date),
	)
	return {"queued": True, "job_id": job_id, "count": count}


def class_students(class_section: str) -> list[frappe._dict]:
	return frappe.get_all(
		STUDENT,
		filters={"class_section": class_section, "status": "Active"},
		fields=["name", "student_name"],
		order_by="student_name, name",
	)


def run_class_statements(class_section: str, from_date, to_date) -> dict:
	"""The job: every active student's statement, emailed where the guardian has an address, and all of
	them merged into one PDF (a private File on the Class Section) for printing. One student's failure
	is logged and reported, the others go on. Returns {"emailed": [...], "not_emailed": {student:
	reason}, "failed": {student: reason}, "file_url": ...}."""
	from pypdf import PdfWriter

	frappe.has_permission(CLASS_SECTION, "read", doc=class_section, throw=True)
	from_date, to_date = check_period(from_date, to_date)
	students = class_students(class_section)
	writer = PdfWriter()
	emailed, not_emailed, failed = [], {}, {}
	for done, student in enumerate(students, start=1):
		frappe.db.savepoint(SAVEPOINT)
		try:
			statement = get_statement(student.name, from_date, to_date)
			pdf = statement_pdf(statement)
			writer.append(BytesIO(pdf))
			if not guardian_email(student.name):
				not_emailed[student.name] = _("The guardian has no email address.")
			elif frappe.has_permission(STUDENT, "email", doc=student.name):
				send_statement(statement, pdf)
				emailed.append(student.name)
			else:
				not_emailed[student.name] = _("Not permitted to email this student's guardian.")
		except Exception as e:
			frappe.db.rollback(save_point=SAVEPOINT)
			frappe.log_error(
				title=_("Statement of account failed"), reference_doctype=STUDENT, reference_name=student.name
			)
			failed[student.name] = str(e) or e.__class__.__name__
		else:
			frappe.db.release_savepoint(SAVEPOINT)
		commit()
		step = max(1, len(students) // 100)
		if done == len(students) or done % step == 0:
			frappe.publish_progress(
				cint(done * 100 / len(students)),
				title=_("Statements of {0}").format(class_section),
				description=_("{0} of {1} students").format(done, len(students)),
			)

	file_url = None
	if len(writer.pages):
		merged = BytesIO()
		writer.write(merged)
		file_url = (
			frappe.get_doc(
				{
					"doctype": "File",
					"file_name": f"Statements-{class_section}-{from_date}-{to_date}.pdf".replace(" ", "-"),
					"attached_to_doctype": CLASS_SECTION,
					"attached_to_name": class_section,
					"is_private": 1,
					"content": merged.getvalue(),
				}
			)
			.insert(ignore_permissions=True)
			.file_url
		)
	result = {"emailed": emailed, "not_emailed": not_emailed, "failed": failed, "file_url": file_url}
	notify_class_result(class_section, from_date, to_date, result)
	return result


def notify_class_result(class_section: str, from_date, to_date, result: dict) -> None:
	esc = escape_html
	body = []
	if result["file_url"]:
		body.append(
			f'<p><a href="{esc(result["file_url"])}">{esc(_("Download all statements (PDF) to print"))}</a></p>'
		)
	for key, title in (("failed", _("Failed")), ("not_emailed", _("Not emailed"))):
		if result[key]:
			body.append(f"<p><b>{esc(title)}</b></p><ul>")
			body.extend(f"<li>{esc(name)}: {esc(reason)}</li>" for name, reason in result[key].items())
			body.append("</ul>")
	notification = frappe.new_doc("Notification Log")
	notification.update(
		{
			"for_user": frappe.session.user,
			"from_user": frappe.session.user,
			"type": "Alert",
			"subject": _("Statements of {0}, {1} to {2}: {3} emailed, {4} not emailed, {5} failed").format(
				class_section,
				formatdate(from_date),
				formatdate(to_date),
				len(result["emailed"]),
				len(result["not_emailed"]),
				len(result["failed"]),
			),
			"email_content": "".join(body),
			"document_type": CLASS_SECTION,
			"document_name": class_section,
		}
	)
	notification.insert(ignore_permissions=True)
