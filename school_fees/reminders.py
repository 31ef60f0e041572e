"""Fee reminders to guardians by Email and SMS, and a Billing Run's notice of new invoices.

Stages. A school's schedule is the rows of School Fees Settings.reminder_stages (Fee Reminder Stage:
before / on / after the due date, how many days, which channels, an Email Template and an SMS text).
The rows naming the school apply; a school without rows of its own follows the rows that name no
school, and with no rows at all the standard schedule DEFAULT_STAGES (3 days before the due date,
on it, 7, 14 and 30 days after; Email and SMS). A stage is known by its offset from the due date in
days (negative before it). The stage due on `as_of` is the latest one whose day has come: a missed
day catches up with the stage due now, never with every stage it skipped (one message, not three).

What is reminded: issued invoices (Issued, Partially Paid, Overdue) that still owe something; never a
Draft, Paid or Cancelled one. The guardian is the invoice's student's (guardian_email,
guardian_phone).

Channels. Email: the stage's Email Template (or the standard text) rendered with the invoice, and
the invoice PDF attached: the Email Queue row records a print-format attachment, which Frappe turns
into the PDF with frappe.attach_print when it sends (the daily job renders no PDF itself). SMS:
Frappe's SMS Settings (send_sms); a gateway that refuses or cannot be reached raises, and that send
counts as failed. A channel the site cannot use at all (no outgoing Email Account, no SMS gateway)
is reported once per run (result "unavailable", one Error Log) and nothing is written per invoice:
those invoices stay pending until the channel is set up.

Once per invoice, stage and channel. A send first inserts its Fee Reminder Log row, whose
`reminder_key` (invoice | stage | channel) is unique in the database: a second process (or a second
run) finds the key taken and sends nothing. A guardian without the email address or phone number a
channel needs is skipped, recorded once under its own key, and is sent the stage when the contact is
added later. Each send is its own savepoint: a failure rolls back that message only, is written to
the Error Log and as a Failed row (no key: the next run tries again), and the batch goes on. Sends
and skips are written to the invoice's Fee Audit Log (action "Reminder"), so they show in the
invoice's history and in the audit trail; fee_invoice.get_invoice_history also returns the log rows.

`send_reminders(names)` is the list view's "Send reminder": now, whatever the schedule, at most once
a day per invoice and channel; it needs the "email" right on Fee Invoice (Fees Manager, Accounts
Manager, System Manager: a Fee Cashier takes money, it does not write to families).
`notify_billing_run(billing_run)` sends each family (billing customer) of a completed run one
message listing its new issued invoices with a link to each (a Document Share Key print view, no
login needed); every invoice is announced once. Above the school's bulk threshold both run as a
background job on the long queue with progress, and leave their result in a Notification Log.
"""

from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.utils import (
	add_days,
	cint,
	date_diff,
	escape_html,
	fmt_money,
	formatdate,
	get_url,
	getdate,
	now_datetime,
	nowdate,
	strip_html,
	validate_email_address,
)

from school_fees import audit
from school_fees.background import enqueue_long, notify_user, progress_publisher
from school_fees.background import selection as parse_selection
from school_fees.core.status import ISSUED, OVERDUE, PARTIALLY_PAID
from school_fees.invoicing.jobs import commit
from school_fees.settings import COMPANY_SETTINGS_DOCTYPE, SETTINGS_DOCTYPE, setting_enabled

FEE_INVOICE = "Fee Invoice"
BILLING_RUN_DOCTYPE = "Billing Run"
LOG_DOCTYPE = "Fee Reminder Log"
STAGE_DOCTYPE = "Fee Reminder Stage"
STAGES_FIELD = "reminder_stages"
PRINT_FORMAT = "Fee Invoice"
AUDIT_ACTION = "Reminder"

EMAIL, SMS = "Email", "SMS"
CHANNELS = (EMAIL, SMS)
SENT, SKIPPED, FAILED = "Sent", "Skipped", "Failed"
STAGE, MANUAL, BILLING_RUN = "Stage", "Manual", "Billing Run"
BEFORE_DUE, ON_DUE, AFTER_DUE = "Before Due Date", "On Due Date", "After Due Date"
DEFAULT_STAGES = ((BEFORE_DUE, 3), (ON_DUE, 0), (AFTER_DUE, 7), (AFTER_DUE, 14), (AFTER_DUE, 30))
REMINDABLE_STATUSES = (ISSUED, PARTIALLY_PAID, OVERDUE)
NOTIFIABLE_RUN_STATUSES = ("Completed", "Partially Completed")

BACKGROUND_THRESHOLD = 200
SECONDS_PER_MESSAGE = 3
BATCH_SIZE = 100
SAVEPOINT = "fee_reminder"
SHARE_LINK_MIN_DAYS = 7  # a print link handed out stays valid at least this long
MAX_REASON = 500


class ReminderNotPermittedError(frappe.PermissionError):
	"""The user may not write to families about Fee Invoices (no "email" right)."""


class ReminderSelectionError(frappe.ValidationError):
	"""Nothing was selected to remind."""


class BillingRunNotCompletedError(frappe.ValidationError):
	"""Only a completed Billing Run announces its invoices."""


class ReminderNotQueuedError(frappe.ValidationError):
	"""Frappe queued no email (it refused the address)."""


# ---------------------------------------------------------------- stages


def stage_offset(timing: str, days: int | None) -> int:
	"""Days from the due date: negative before it, 0 on it."""
	if timing == ON_DUE:
		return 0
	return -cint(days) if timing == BEFORE_DUE else cint(days)


def stage_label(offset: int) -> str:
	if offset == 0:
		return _("On the due date")
	if offset < 0:
		return (
			_("1 day before the due date")
			if offset == -1
			else _("{0} days before the due date").format(-offset)
		)
	return _("1 day overdue") if offset == 1 else _("{0} days overdue").format(offset)


def make_stage(timing, days, email=1, sms=0, email_template=None, sms_template=None) -> frappe._dict:
	offset = stage_offset(timing, days)
	return frappe._dict(
		offset=offset,
		label=stage_label(offset),
		email=cint(email),
		sms=cint(sms),
		email_template=email_template,
		sms_template=sms_template,
	)


def stages_for(company: str) -> list[frappe._dict]:
	"""The school's schedule, earliest stage first (see the module docstring for which rows apply)."""
	rows = frappe.get_all(
		STAGE_DOCTYPE,
		filters={"parenttype": SETTINGS_DOCTYPE, "parent": SETTINGS_DOCTYPE, "parentfield": STAGES_FIELD},
		fields=["company", "timing", "days", "email", "sms", "email_template", "sms_template"],
		order_by="idx",
	)
	own = [row for row in rows if row.company == company] or [row for row in rows if not row.company]
	if not rows:
		stages = [make_stage(timing, days, email=1, sms=1) for timing, days in DEFAULT_STAGES]
	else:
		stages = [make_stage(r.timing, r.days, r.email, r.sms, r.email_template, r.sms_template) for r in own]
	return sorted(stages, key=lambda stage: stage.offset)


def stage_channels(stage) -> list[str]:
	return [channel for channel in CHANNELS if stage.get(channel.lower())]


def stage_due(stages: list[frappe._dict], days_after_due: int) -> frappe._dict | None:
	"""The latest stage whose day has come, or None before the first."""
	due = [stage for stage in stages if stage.offset <= days_after_due]
	return due[-1] if due else None


# ---------------------------------------------------------------- guardians and channels


def guardian_contacts(students) -> dict[str, frappe._dict]:
	"""{student: guardian_name, guardian_email, guardian_phone, student_name, customer}, one query."""
	if not students:
		return {}
	rows = frappe.get_all(
		"Student",
		filters={"name": ("in", sorted(set(students)))},
		fields=["name", "student_name", "customer", "guardian_name", "guardian_email", "guardian_phone"],
	)
	return {row.name: row for row in rows}


def recipient_of(contact, channel: str) -> str | None:
	"""The guardian's email address or phone number for the channel (None when missing)."""
	if not contact:
		return None
	if channel == EMAIL:
		return validate_email_address((contact.guardian_email or "").strip()) or None
	return (contact.guardian_phone or "").strip() or None


def missing_contact_reason(channel: str) -> str:
	if channel == EMAIL:
		return _("The guardian has no email address.")
	return _("The guardian has no phone number.")


def unavailable_channels() -> dict[str, str]:
	"""{channel: why the site cannot send by it at all}."""
	from frappe.email.doctype.email_account.email_account import EmailAccount

	reasons = {}
	if not EmailAccount.find_outgoing():
		reasons[EMAIL] = _("No outgoing Email Account is set up (Email Account, Default Outgoing).")
	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		reasons[SMS] = _("SMS Settings has no gateway URL.")
	return reasons


def bulk_threshold() -> int:
	return cint(frappe.db.get_single_value(SETTINGS_DOCTYPE, "bulk_job_threshold")) or BACKGROUND_THRESHOLD


# ---------------------------------------------------------------- the daily job


def send_due_reminders(as_of=None, company: str | None = None) -> dict:
	"""Send every stage due on `as_of` (default today) for the issued, unpaid invoices of every
	school (or only `company`), when "Send Fee Reminders Daily" is on. Daily (hooks.py).

	Returns {"sent": [...], "skipped": [...], "failed": [...]} (rows: invoice, stage, channel,
	recipient, reason) and "unavailable" ({channel: reason})."""
	if not setting_enabled("send_reminders"):
		return {"sent": [], "skipped": [], "failed": [], "unavailable": {}}
	batch = ReminderBatch(getdate(as_of or nowdate()), STAGE)
	schools = [company] if company else school_companies()
	for school in schools:
		stages = [stage for stage in stages_for(school) if stage_channels(stage)]
		if not stages:
			continue
		invoices = due_invoices(school, batch.as_of, stages[0].offset)
		for start in range(0, len(invoices), BATCH_SIZE):
			chunk = invoices[start : start + BATCH_SIZE]
			plan = []
			for invoice in chunk:
				stage = stage_due(stages, date_diff(batch.as_of, invoice.due_date))
				key_part = str(stage.offset)
				plan.extend((invoice, stage, channel, key_part) for channel in stage_channels(stage))
			batch.run(plan)
	batch.report_unavailable()
	return batch.result()


def school_companies() -> list[str]:
	return frappe.get_all(
		COMPANY_SETTINGS_DOCTYPE,
		filters={"parenttype": SETTINGS_DOCTYPE, "parent": SETTINGS_DOCTYPE},
		pluck="company",
		order_by="idx",
	)


def due_invoices(company: str, as_of, first_offset: int) -> list[frappe._dict]:
	"""Issued invoices of the school that still owe and whose first stage has come."""
	fi = frappe.qb.DocType(FEE_INVOICE)
	return (
		frappe.qb.from_(fi)
		.select(fi.name, fi.student, fi.company, fi.due_date)
		.where(
			(fi.company == company)
			& (fi.docstatus == 1)
			& fi.status.isin(REMINDABLE_STATUSES)
			& (fi.outstanding_amount > 0)
			& (fi.due_date <= add_days(as_of, -first_offset))
		)
		.orderby(fi.due_date)
		.orderby(fi.name)
	).run(as_dict=True)


def reminder_key(invoice: str, key_part: str, channel: str) -> str:
	return f"{invoice}|{key_part}|{channel}"


def skip_key(key: str) -> str:
	return f"{key}|{SKIPPED}"


def taken_keys(keys) -> set[str]:
	keys = sorted(set(keys))
	if not keys:
		return set()
	return set(frappe.get_all(LOG_DOCTYPE, filters={"reminder_key": ("in", keys)}, pluck="reminder_key"))


class ReminderBatch:
	"""One batch of invoice reminders of one kind (Stage or Manual) as of a date: sends, records,
	and collects what happened."""

	def __init__(self, as_of, kind: str, commit_each: bool = True):
		self.as_of = getdate(as_of)
		self.kind = kind
		self.commit_each = commit_each
		self.unavailable = unavailable_channels()
		self.pending_unavailable: dict[str, int] = {}
		self.outcomes: list[frappe._dict] = []

	def result(self) -> dict:
		by_status = {status: [] for status in (SENT, SKIPPED, FAILED)}
		for outcome in self.outcomes:
			by_status[outcome.status].append(outcome)
		return {
			"sent": by_status[SENT],
			"skipped": by_status[SKIPPED],
			"failed": by_status[FAILED],
			"unavailable": self.unavailable,
		}

	def run(self, plan: list[tuple]) -> None:
		"""Send each (invoice row, stage, channel, key part) not sent yet: invoice rows need name,
		student, company and due_date."""
		keys = [reminder_key(inv.name, key_part, channel) for inv, _stage, channel, key_part in plan]
		taken = taken_keys(keys + [skip_key(key) for key in keys])
		contacts = guardian_contacts([inv.student for inv, *_rest in plan])
		for (invoice, stage, channel, _key_part), key in zip(plan, keys, strict=True):
			if key in taken:
				continue
			if channel in self.unavailable:
				self.pending_unavailable[channel] = self.pending_unavailable.get(channel, 0) + 1
				continue
			self.remind(
				invoice, stage, channel, key, contacts.get(invoice.student), skipped=skip_key(key) in taken
			)
			if self.commit_each:
				commit()

	def remind(self, invoice, stage, channel: str, key: str, contact, skipped: bool = False) -> str | None:
		"""Send (or skip) one reminder; returns its status, or None when nothing was due."""
		values = {
			"fee_invoice": invoice.name,
			"student": invoice.student,
			"company": invoice.company,
			"reminder_type": self.kind,
			"stage": _("Manual reminder") if self.kind == MANUAL else stage.label,
			"days_after_due": date_diff(self.as_of, invoice.due_date),
			"as_of": self.as_of,
			"channel": channel,
		}
		recipient = recipient_of(contact, channel)
		if not recipient:
			if skipped:  # recorded on an earlier run
				return None
			reason = missing_contact_reason(channel)
			record_skip({**values, "reason": reason, "reminder_key": skip_key(key)}, reason)
			self.outcomes.append(outcome(invoice.name, values, SKIPPED, None, reason))
			return SKIPPED

		def send(_logs) -> str | None:
			doc = frappe.get_doc(FEE_INVOICE, invoice.name)
			if not is_remindable(doc):  # paid or cancelled since the batch was planned
				return False
			context = invoice_context(doc, contact, self.as_of, values["stage"])
			if channel == EMAIL:
				return email_invoice_reminder(doc, stage, recipient, context)
			send_sms_message(recipient, render_sms(stage, context))
			return None

		status, reason = deliver({**values, "recipient": recipient}, {invoice.name: key}, send)
		if status:
			self.outcomes.append(outcome(invoice.name, values, status, recipient, reason))
		return status

	def report_unavailable(self) -> None:
		"""One Error Log for reminders held back because the site cannot use a channel."""
		if not self.pending_unavailable:
			return
		lines = [
			_("{0} reminders by {1} not sent: {2}").format(count, channel, self.unavailable[channel])
			for channel, count in self.pending_unavailable.items()
		]
		frappe.log_error(title=_("Fee reminders held back"), message="\n".join(lines))


def outcome(invoice: str, values: dict, status: str, recipient, reason) -> frappe._dict:
	return frappe._dict(
		invoice=invoice,
		stage=values.get("stage"),
		channel=values.get("channel"),
		status=status,
		recipient=recipient,
		reason=reason,
	)


def is_remindable(doc) -> bool:
	return doc.docstatus == 1 and doc.status in REMINDABLE_STATUSES and (doc.outstanding_amount or 0) > 0


def not_remindable_reason(doc) -> str | None:
	if doc.docstatus == 0:
		return _("A Draft invoice is not sent to families.")
	if doc.docstatus == 2:
		return _("The invoice is cancelled.")
	if not is_remindable(doc):
		return _("The invoice is {0}: nothing is owed.").format(_(doc.status))
	return None


# ---------------------------------------------------------------- recording and sending


def insert_log(values: dict):
	doc = frappe.get_doc(
		{
			"doctype": LOG_DOCTYPE,
			"user": frappe.session.user,
			"sent_on": now_datetime(),
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc


def claim(values: dict):
	"""Insert a keyed log row; None when its key is taken (this reminder was sent already, perhaps
	by another process that was waiting on the same key)."""
	try:
		return insert_log(values)
	except frappe.UniqueValidationError:
		frappe.clear_last_message()
		return None


def audit_reminder(invoice: str, text: str) -> None:
	audit.log(FEE_INVOICE, invoice, AUDIT_ACTION, reason=text)


def record_skip(values: dict, reason: str) -> None:
	"""A skip is recorded once (its own key) in the log and the invoice's audit trail."""
	frappe.db.savepoint(SAVEPOINT)
	if claim({**values, "status": SKIPPED}):
		audit_reminder(
			values["fee_invoice"],
			_("{0} by {1} skipped: {2}").format(values["stage"], values["channel"], reason),
		)
	frappe.db.release_savepoint(SAVEPOINT)


def deliver(
	values: dict, keys: dict[str, str], send, students: dict | None = None
) -> tuple[str | None, str | None]:
	"""Claim the message's keys, send it with `send(logs)` and record it, all in one savepoint.

	`values` is the log row; `keys` maps each invoice the message speaks for to its reminder key (one
	row, key and audit entry each; `students` gives each invoice's student when they differ). `send`
	returns the Email Queue name (or None), or False when it finds nothing to send after all. A
	failure rolls back the message and leaves a Failed row per invoice and an Error Log. Returns
	(status, reason); status None: nothing was due (keys taken)."""
	students = students or {}

	def row(invoice: str, **more) -> dict:
		return {
			**values,
			"fee_invoice": invoice,
			"student": students.get(invoice, values.get("student")),
			**more,
		}

	messages_before = len(frappe.local.message_log)
	frappe.db.savepoint(SAVEPOINT)
	try:
		logs = [
			log
			for invoice, key in keys.items()
			if (log := claim(row(invoice, status=SENT, reminder_key=key)))
		]
		email_queue = send(logs) if logs else False
		if email_queue is False:
			frappe.db.rollback(save_point=SAVEPOINT)
			return None, None
		for log in logs:
			if email_queue:
				frappe.db.set_value(LOG_DOCTYPE, log.name, "email_queue", email_queue, update_modified=False)
			audit_reminder(
				log.fee_invoice,
				_("{0} sent by {1} to {2}").format(values["stage"], values["channel"], values["recipient"]),
			)
	except Exception as e:
		frappe.db.rollback(save_point=SAVEPOINT)
		frappe.local.message_log = frappe.local.message_log[:messages_before]
		reason = failure_reason(e)
		frappe.log_error(
			title=_("Fee reminder could not be sent"),
			reference_doctype=FEE_INVOICE,
			reference_name=next(iter(keys)),
		)
		for invoice in keys:
			insert_log(row(invoice, status=FAILED, reason=reason))
		return FAILED, reason
	frappe.db.release_savepoint(SAVEPOINT)
	return SENT, None


def failure_reason(error: Exception) -> str:
	text = strip_html(str(error) or "").strip() or error.__class__.__name__
	return text[:MAX_REASON]


def invoice_attachment(name: str) -> dict:
	"""The invoice PDF, rendered by frappe.attach_print when the Email Queue sends the mail."""
	return {
		"print_format_attachment": 1,
		"doctype": FEE_INVOICE,
		"name": name,
		"print_format": PRINT_FORMAT,
		"file_name": name,
	}


def queue_email(recipients: list[str], subject: str, message: str, reference_name: str, attachments=None):
	queue = frappe.sendmail(
		recipients=recipients,
		subject=subject,
		message=message,
		reference_doctype=FEE_INVOICE,
		reference_name=reference_name,
		attachments=attachments,
		add_unsubscribe_link=0,  # a bill is not a newsletter
	)
	if not queue:
		frappe.throw(
			_("The email to {0} could not be queued.").format(", ".join(recipients)), ReminderNotQueuedError
		)
	return queue.name


def send_sms_message(number: str, message: str) -> None:
	"""Through Frappe's SMS Settings; raises when the gateway refuses or cannot be reached."""
	from frappe.core.doctype.sms_settings.sms_settings import send_sms

	send_sms([number], message, success_msg=False)


def share_link(doctype: str, name: str, print_format: str | None = None) -> str:
	"""A print-view link that opens without logging in (Document Share Key), valid a while yet."""
	key = (
		frappe.db.get_value(
			"Document Share Key",
			{
				"reference_doctype": doctype,
				"reference_docname": name,
				"expires_on": (">=", add_days(nowdate(), SHARE_LINK_MIN_DAYS)),
			},
			"key",
		)
		or frappe.get_doc(doctype, name).get_document_share_key()
	)
	params = {"doctype": doctype, "name": name, "key": key}
	if print_format:
		params["format"] = print_format
	return get_url("/printview?" + urlencode(params))


# ---------------------------------------------------------------- what the messages say


def invoice_context(doc, contact, as_of, stage_text: str) -> dict:
	"""What an Email Template or SMS text can use: the invoice's fields (and `doc`), plus
	guardian_name, student_name, school, stage, days_overdue, days_to_due, outstanding, total, due
	(formatted) and invoice_link."""
	days_after_due = date_diff(as_of, doc.due_date)
	return {
		**doc.as_dict(),
		"doc": doc,
		"guardian_name": (contact and contact.guardian_name) or _("Parent / Guardian"),
		"student_name": doc.student_name or doc.student,
		"school": doc.company,
		"stage": stage_text,
		"days_after_due": days_after_due,
		"days_overdue": max(days_after_due, 0),
		"days_to_due": max(-days_after_due, 0),
		"outstanding": fmt_money(doc.outstanding_amount, currency=doc.currency),
		"total": fmt_money(doc.grand_total, currency=doc.currency),
		"due": formatdate(doc.due_date),
		"invoice_link": share_link(FEE_INVOICE, doc.name, PRINT_FORMAT),
	}


def due_phrase(context: dict) -> str:
	if context["days_after_due"] < 0:
		return _("due on {0}").format(context["due"])
	if context["days_after_due"] == 0:
		return _("due today")
	return _("overdue since {0} ({1} days)").format(context["due"], context["days_overdue"])


def email_invoice_reminder(doc, stage, recipient: str, context: dict) -> str:
	if stage and stage.email_template:
		template = frappe.get_doc("Email Template", stage.email_template)
		subject = frappe.render_template(template.subject, context)
		message = frappe.render_template(
			template.response_html if template.use_html else template.response, context
		)
	else:
		subject = _("{0}: fee reminder for {1}, {2}").format(
			context["school"], context["student_name"], due_phrase(context)
		)
		message = default_reminder_html(context)
	return queue_email([recipient], subject, message, doc.name, [invoice_attachment(doc.name)])


def default_reminder_html(context: dict) -> str:
	esc = escape_html
	return "".join(
		[
			f"<p>{esc(_('Dear {0},').format(context['guardian_name']))}</p>",
			"<p>{}</p>".format(
				esc(
					_("This is a reminder that the fees of {0} are {1}.").format(
						context["student_name"], due_phrase(context)
					)
				)
			),
			"<p>{}</p>".format(
				esc(
					_("Invoice {0}: total {1}, outstanding {2}, due on {3}.").format(
						context["name"], context["total"], context["outstanding"], context["due"]
					)
				)
			),
			"<p>{}</p>".format(
				esc(_("The invoice is attached. If you have paid already, please ignore this reminder."))
			),
			f"<p>{esc(context['school'])}</p>",
		]
	)


def render_sms(stage, context: dict) -> str:
	if stage and stage.sms_template:
		return frappe.render_template(stage.sms_template, context)
	return _("{0}: fees of {1}, {2} {3}. Invoice {4}: {5}").format(
		context["school"],
		context["student_name"],
		context["outstanding"],
		due_phrase(context),
		context["name"],
		context["invoice_link"],
	)


# ---------------------------------------------------------------- "Send reminder" from the list


@frappe.whitelist(methods=["POST"])
def send_reminders(names: list[str] | str) -> dict:
	"""Remind the guardians of the given Fee Invoices now (Email and SMS as the school's stages use
	them), at most once a day per invoice and channel.

	Returns {"sent": {name: [channels]}, "skipped": {name: reason}, "failed": {name: reason},
	"unavailable": {channel: reason}}; above the bulk threshold the work is queued and
	{"queued": True, "job_id": ..., "count": n} is returned (the result arrives as a Notification Log)."""
	check_can_remind()
	names = selection(names)
	if len(names) > bulk_threshold():
		return enqueue_job("run_send_reminders", len(names), names=names)
	return remind_invoices(names)


def run_send_reminders(names: list[str]) -> dict:
	"""The background job of a large "Send reminder" (runs as the user who asked)."""
	check_can_remind()
	result = remind_invoices(names, commit_each=True, progress=progress_publisher(_("Sending reminders")))
	notify_user(
		_("Reminders sent for {0} invoices; {1} skipped, {2} failed").format(
			len(result["sent"]), len(result["skipped"]), len(result["failed"])
		),
		result_html(result),
	)
	return result


def remind_invoices(names: list[str], as_of=None, commit_each: bool = False, progress=None) -> dict:
	batch = ReminderBatch(as_of or nowdate(), MANUAL, commit_each=False)
	key_part = f"manual:{batch.as_of}"
	rows = {
		row.name: row
		for row in frappe.get_all(
			FEE_INVOICE,
			filters={"name": ("in", names)},
			fields=["name", "student", "company", "due_date", "docstatus", "status", "outstanding_amount"],
		)
	}
	contacts = guardian_contacts([row.student for row in rows.values()])
	stages_by_school: dict[str, list] = {}
	sent, skipped, failed = {}, {}, {}
	for done, name in enumerate(names, start=1):
		row = rows.get(name)
		reason = (
			_("Fee Invoice {0} not found.").format(name)
			if not row
			else not_remindable_reason(row)
			or (None if frappe.has_permission(FEE_INVOICE, "email", doc=name) else _("Not permitted."))
		)
		if reason:
			skipped[name] = reason
		else:
			stages = stages_by_school.setdefault(row.company, stages_for(row.company))
			stage = stage_due(stages, date_diff(batch.as_of, row.due_date)) or (stages[0] if stages else None)
			wanted = manual_channels(stages)
			channels = [channel for channel in wanted if channel not in batch.unavailable]
			notes_skipped, notes_failed = [], []
			if not channels:  # the site can send by none of them (why: result["unavailable"])
				notes_failed = [_("No channel to send it by is set up.")]
			for channel in channels:
				label = f"{channel}: "
				key = reminder_key(name, key_part, channel)
				contact = contacts.get(row.student)
				taken = taken_keys([key, skip_key(key)])
				status = None
				if key not in taken:
					status = batch.remind(row, stage, channel, key, contact, skipped=skip_key(key) in taken)
				if status == SENT:
					sent.setdefault(name, []).append(channel)
				elif status == FAILED:
					notes_failed.append(label + batch.outcomes[-1].reason)
				elif status == SKIPPED or (key not in taken and not recipient_of(contact, channel)):
					notes_skipped.append(label + missing_contact_reason(channel))
				else:
					notes_skipped.append(label + _("already reminded today."))
			if notes_skipped:
				skipped[name] = " ".join(notes_skipped)
			if notes_failed:
				failed[name] = " ".join(notes_failed)
		if commit_each:
			commit()
		if progress:
			progress(done, len(names))
	return {"sent": sent, "skipped": skipped, "failed": failed, "unavailable": batch.unavailable}


def manual_channels(stages: list) -> list[str]:
	"""The channels the school's stages use (both when they use none: a reminder asked for by hand)."""
	used = {channel for stage in stages for channel in stage_channels(stage)}
	return [channel for channel in CHANNELS if channel in used] or list(CHANNELS)


def check_can_remind() -> None:
	if not frappe.has_permission(FEE_INVOICE, "email"):
		frappe.throw(
			_("You are not permitted to send reminders about Fee Invoices."),
			ReminderNotPermittedError,
			title=_("Not Permitted"),
		)


def selection(names: list[str] | str) -> list[str]:
	"""The selected names, parsed from the request, without blanks or repeats, in the given order."""
	return parse_selection(names, _("Select at least one Fee Invoice to remind."), ReminderSelectionError)


# ---------------------------------------------------------------- a Billing Run's "Notify Guardians"


@frappe.whitelist(methods=["POST"])
def notify_billing_run(billing_run: str) -> dict:
	"""Send each family of a completed Billing Run one message listing its new issued invoices (each
	invoice announced once, however often this is called).

	Returns {"notified": [customers], "invoices": n, "skipped": {customer: reason}, "failed":
	{customer: reason}, "unavailable": {...}}, or {"queued": True, ...} above the bulk threshold."""
	run = frappe.get_doc(BILLING_RUN_DOCTYPE, billing_run)
	run.check_permission("email")
	if run.status not in NOTIFIABLE_RUN_STATUSES:
		frappe.throw(
			_("Billing Run {0} is {1}: guardians are notified once it has completed.").format(
				frappe.bold(run.name), _(run.status)
			),
			BillingRunNotCompletedError,
		)
	families = families_to_notify(run.name)
	if len(families) > bulk_threshold():
		return enqueue_job("run_notify_billing_run", len(families), billing_run=run.name)
	return notify_families(run, families)


def run_notify_billing_run(billing_run: str) -> dict:
	"""The background job of a large "Notify Guardians" (runs as the user who asked)."""
	run = frappe.get_doc(BILLING_RUN_DOCTYPE, billing_run)
	run.check_permission("email")
	result = notify_families(
		run,
		families_to_notify(run.name),
		commit_each=True,
		progress=progress_publisher(_("Notifying guardians")),
	)
	notify_user(
		_("Billing Run {0}: {1} families notified of {2} invoices; {3} skipped, {4} failed").format(
			run.name,
			len(result["notified"]),
			result["invoices"],
			len(result["skipped"]),
			len(result["failed"]),
		),
		result_html(result),
	)
	return result


def notice_key(invoice: str, billing_run: str) -> str:
	"""The key of an invoice's new-invoice notice (whatever the channel: one notice per invoice)."""
	return f"{invoice}|{billing_run}|Notice"


def families_to_notify(billing_run: str) -> dict[str, list[frappe._dict]]:
	"""{customer: [invoice rows]} of the run's issued invoices not announced yet."""
	invoices = frappe.get_all(
		FEE_INVOICE,
		filters={"billing_run": billing_run, "docstatus": 1},
		fields=[
			"name",
			"student",
			"student_name",
			"customer",
			"company",
			"installment",
			"grand_total",
			"currency",
			"due_date",
		],
		order_by="customer, student_name, due_date, name",
	)
	sent = taken_keys(notice_key(inv.name, billing_run) for inv in invoices)
	families: dict[str, list] = {}
	for inv in invoices:
		if notice_key(inv.name, billing_run) not in sent:
			families.setdefault(inv.customer, []).append(inv)
	return families


def notify_families(run, families: dict, commit_each: bool = False, progress=None) -> dict:
	unavailable = unavailable_channels()
	result = {"notified": [], "invoices": 0, "skipped": {}, "failed": {}, "unavailable": unavailable}
	contacts = guardian_contacts([inv.student for invoices in families.values() for inv in invoices])
	for done, (customer, invoices) in enumerate(families.items(), start=1):
		status, reason = notify_family(run, invoices, contacts, unavailable)
		if status == SENT:
			result["notified"].append(customer)
			result["invoices"] += len(invoices)
		elif status == SKIPPED:
			result["skipped"][customer] = reason
		elif status == FAILED:
			result["failed"][customer] = reason
		if commit_each:
			commit()
		if progress:
			progress(done, len(families))
	return result


def notify_family(run, invoices: list, contacts: dict, unavailable: dict):
	"""One message to a family about its new invoices: Email when a guardian has an address, else SMS."""
	guardians = [contacts[inv.student] for inv in invoices if inv.student in contacts]
	emails = sorted({r for g in guardians if (r := recipient_of(g, EMAIL))})
	phones = sorted({r for g in guardians if (r := recipient_of(g, SMS))})
	keys = {inv.name: notice_key(inv.name, run.name) for inv in invoices}
	values = {
		"student": invoices[0].student,
		"company": invoices[0].company,
		"billing_run": run.name,
		"reminder_type": BILLING_RUN,
		"stage": _("New invoices"),
		"as_of": getdate(nowdate()),
	}
	if emails and EMAIL not in unavailable:
		channel, recipients = EMAIL, emails
	elif phones and SMS not in unavailable:
		channel, recipients = SMS, phones
	else:
		reason = (
			unavailable.get(EMAIL if emails else SMS)
			if emails or phones
			else _("The guardian has no email address or phone number.")
		)
		recorded = taken_keys(skip_key(key) for key in keys.values())
		for inv in invoices:
			if skip_key(keys[inv.name]) not in recorded:
				row = {**values, "fee_invoice": inv.name, "student": inv.student, "channel": EMAIL}
				record_skip({**row, "reason": reason, "reminder_key": skip_key(keys[inv.name])}, reason)
		return SKIPPED, reason

	guardian_name = next((g.guardian_name for g in guardians if g.guardian_name), None) or _(
		"Parent / Guardian"
	)

	def send(logs) -> str | None:
		announced = {log.fee_invoice for log in logs}
		rows = [inv for inv in invoices if inv.name in announced]
		context = notice_context(run, rows, guardian_name)
		if channel == EMAIL:
			subject, message = render_notice_email(context)
			return queue_email(recipients, subject, message, rows[0].name)
		for number in recipients:
			send_sms_message(number, notice_sms(context))
		return None

	values.update(channel=channel, recipient=", ".join(recipients))
	return deliver(values, keys, send, students={inv.name: inv.student for inv in invoices})


def notice_context(run, invoices: list, guardian_name: str) -> dict:
	currency = invoices[0].currency
	rows = [
		frappe._dict(
			name=inv.name,
			student=inv.student,
			student_name=inv.student_name or inv.student,
			installment=inv.installment,
			grand_total=fmt_money(inv.grand_total, currency=currency),
			due_date=formatdate(inv.due_date),
			link=share_link(FEE_INVOICE, inv.name, PRINT_FORMAT),
		)
		for inv in invoices
	]
	return {
		"guardian_name": guardian_name,
		"school": invoices[0].company,
		"billing_run": run.name,
		"invoices": rows,
		"students": ", ".join(dict.fromkeys(row.student_name for row in rows)),
		"total": fmt_money(sum(inv.grand_total or 0 for inv in invoices), currency=currency),
		"first_due": formatdate(min(getdate(inv.due_date) for inv in invoices)),
	}


def render_notice_email(context: dict) -> tuple[str, str]:
	template_name = frappe.db.get_single_value(SETTINGS_DOCTYPE, "billing_run_email_template")
	if template_name:
		template = frappe.get_doc("Email Template", template_name)
		return (
			frappe.render_template(template.subject, context),
			frappe.render_template(
				template.response_html if template.use_html else template.response, context
			),
		)
	esc = escape_html
	subject = _("{0}: new fee invoices for {1}").format(context["school"], context["students"])
	rows = "".join(
		f"<tr><td>{esc(row.student_name)}</td><td>{esc(row.installment or '')}</td>"
		f'<td style="text-align:right">{esc(row.grand_total)}</td><td>{esc(row.due_date)}</td>'
		f'<td><a href="{esc(row.link)}">{esc(row.name)}</a></td></tr>'
		for row in context["invoices"]
	)
	headers = "".join(
		f"<th>{esc(h)}</th>"
		for h in (_("Student"), _("Installment"), _("Amount"), _("Due Date"), _("Invoice"))
	)
	total = _("Total: {0}. Open an invoice with its link to view or print it.").format(context["total"])
	message = (
		f"<p>{esc(_('Dear {0},').format(context['guardian_name']))}</p>"
		f"<p>{esc(_('These fee invoices have been issued:'))}</p>"
		f'<table border="1" cellpadding="4" cellspacing="0"><tr>{headers}</tr>{rows}</table>'
		f"<p>{esc(total)}</p>"
		f"<p>{esc(context['school'])}</p>"
	)
	return subject, message


def notice_sms(context: dict) -> str:
	links = " ".join(row.link for row in context["invoices"])
	return _("{0}: new fee invoices for {1}, total {2}, first due {3}. {4}").format(
		context["school"], context["students"], context["total"], context["first_due"], links
	)


# ---------------------------------------------------------------- background jobs


def enqueue_job(function: str, count: int, **kwargs) -> dict:
	return enqueue_long(
		f"school_fees.reminders.{function}", f"school_fees_{function}", count, SECONDS_PER_MESSAGE, **kwargs
	)


def result_html(result: dict) -> str:
	esc = escape_html
	parts = []
	for key, title in (
		("failed", _("Failed")),
		("skipped", _("Skipped")),
		("unavailable", _("Not available")),
	):
		if result.get(key):
			parts.append(f"<p><b>{esc(title)}</b></p><ul>")
			parts.extend(f"<li>{esc(name)}: {esc(reason)}</li>" for name, reason in result[key].items())
			parts.append("</ul>")
	sent = result.get("sent") or result.get("notified") or []
	if sent:
		parts.append(f"<p><b>{esc(_('Sent'))}</b></p><p>{esc(', '.join(sent))}</p>")
	return "".join(parts)
