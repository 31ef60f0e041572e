"""Fee reminders (school_fees.reminders): the daily job on fixed dates across a school's stages, each
stage sent once per invoice and channel (the job run twice), never for draft, paid or cancelled
invoices, a guardian without contacts skipped with the reason recorded, an SMS gateway that cannot be
reached recorded as a failure without stopping the batch; asserted on Fee Reminder Log, Email Queue
(with the invoice PDF attachment), SMS Log, Error Log and Fee Audit Log. Then "Send reminder" from the
list and a Billing Run's "Notify Guardians"."""

import email
import email.header
import json

import pytest
from bench_site import SITES_PATH
from factories import (
	make_billing_run,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_income_account,
	make_payment_allocation,
	make_student,
	make_user,
	unique,
)

import frappe
from frappe.utils import add_days

from school_fees import reminders
from school_fees.reminders import (
	BillingRunNotCompletedError,
	ReminderNotPermittedError,
	notify_billing_run,
	send_due_reminders,
	send_reminders,
)
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice, get_invoice_history
from school_fees.school_fees.doctype.school_fees_settings.school_fees_settings import ReminderStageError

POSTING, DUE = "2028-05-01", "2028-06-30"
UNREACHABLE_GATEWAY = "http://127.0.0.1:9/sms"  # the discard port: nothing answers there

# the school's schedule in these tests: (timing, days, email, sms)
SCHEDULE = (
	("Before Due Date", 3, 1, 0),
	("On Due Date", 0, 1, 0),
	("After Due Date", 7, 1, 1),
	("After Due Date", 14, 1, 0),
	("After Due Date", 30, 1, 0),
)


@pytest.fixture
def school(company, outgoing_mail):
	"""Reminders on, with SCHEDULE as the test school's own stages (rows written straight to the
	table: saving the whole settings document would lock every school's row for the test)."""
	frappe.db.set_single_value("School Fees Settings", "send_reminders", 1)
	set_stages(company, SCHEDULE)
	return company


def set_stages(company, schedule, start_idx=500):
	for idx, (timing, days, by_email, by_sms, *template) in enumerate(schedule, start=start_idx):
		frappe.get_doc(
			{
				"doctype": "Fee Reminder Stage",
				"parent": "School Fees Settings",
				"parenttype": "School Fees Settings",
				"parentfield": "reminder_stages",
				"idx": idx,
				"company": company,
				"timing": timing,
				"days": days,
				"email": by_email,
				"sms": by_sms,
				"email_template": template[0] if template else None,
			}
		).db_insert()


@pytest.fixture
def head(company):
	return make_fee_head(company=company, income_account=make_income_account(company)).name


def guardian(company, email_id="guardian@school-fees.invalid", phone="+91 98765 43210", **kwargs):
	return make_student(
		company,
		guardian_name="Asha Rao",
		guardian_email=email_id,
		guardian_phone=phone,
		**kwargs,
	)


def issue(company, head, student=None, amount=1200, due=DUE, submit=True, **kwargs):
	return make_fee_invoice(
		company,
		student=(student or guardian(company)).name,
		items=[(head, amount)],
		posting_date=POSTING,
		due_date=due,
		submit=submit,
		**kwargs,
	)


def logs(invoice: str, **filters) -> list[frappe._dict]:
	return frappe.get_all(
		"Fee Reminder Log",
		filters={"fee_invoice": invoice, **filters},
		fields=[
			"stage",
			"channel",
			"status",
			"recipient",
			"reason",
			"email_queue",
			"reminder_key",
			"days_after_due",
		],
		order_by="creation asc",
	)


def queued_for(invoice: str) -> list[frappe._dict]:
	return frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Fee Invoice", "reference_name": invoice},
		fields=["name", "attachments", "message", "status"],
		order_by="creation asc",
	)


def body_text(message: str) -> str:
	"""The decoded text of every part of a queued MIME message."""
	parsed = email.message_from_string(message)
	return " ".join(
		(part.get_payload(decode=True) or b"").decode("utf-8", "replace")
		for part in parsed.walk()
		if not part.is_multipart()
	)


def recipients_of(queue: str) -> list[str]:
	return frappe.get_all("Email Queue Recipient", filters={"parent": queue}, pluck="recipient")


def reminder_audit(invoice: str) -> list[str]:
	return frappe.get_all(
		"Fee Audit Log",
		filters={"reference_doctype": "Fee Invoice", "reference_name": invoice, "action": "Reminder"},
		pluck="reason",
		order_by="creation asc",
	)


def run(company, as_of, *invoices):
	"""The daily job for the school; with `invoices`, only the outcomes about them (the shared test
	school may hold invoices other tests committed)."""
	result = send_due_reminders(as_of=as_of, company=company)
	if invoices:
		names = {invoice.name for invoice in invoices}
		for key in ("sent", "skipped", "failed"):
			result[key] = [row for row in result[key] if row.invoice in names]
	return result


def subject_of(message: str) -> str:
	header = email.message_from_string(message)["Subject"]
	return str(email.header.make_header(email.header.decode_header(header)))


# ---------------------------------------------------------------- the daily job


def test_each_stage_goes_out_once_on_its_day_with_the_invoice_pdf(school, head):
	template = frappe.get_doc(
		{
			"doctype": "Email Template",
			"name": unique("Overdue"),
			"subject": "Overdue: {{ name }} for {{ student_name }}",
			"response": "Dear {{ guardian_name }}, {{ outstanding }} is {{ days_overdue }} days overdue "
			"({{ stage }}).",
		}
	).insert()
	set_stages(school, [("After Due Date", 10, 1, 0, template.name)], start_idx=600)
	invoice = issue(school, head)

	assert run(school, add_days(DUE, -5), invoice)["sent"] == []  # before the first stage
	assert logs(invoice.name) == []

	result = run(school, add_days(DUE, -3), invoice)
	assert [(r.invoice, r.stage, r.channel) for r in result["sent"]] == [
		(invoice.name, "3 days before the due date", "Email")
	]
	[sent] = logs(invoice.name)
	assert (sent.status, sent.channel, sent.recipient, sent.days_after_due) == (
		"Sent",
		"Email",
		"guardian@school-fees.invalid",
		-3,
	)
	assert sent.reminder_key == f"{invoice.name}|-3|Email"
	[queue] = queued_for(invoice.name)
	assert sent.email_queue == queue.name
	assert recipients_of(queue.name) == ["guardian@school-fees.invalid"]
	[attachment] = json.loads(queue.attachments)
	assert attachment["print_format_attachment"] == 1
	assert (attachment["doctype"], attachment["name"], attachment["print_format"]) == (
		"Fee Invoice",
		invoice.name,
		"Fee Invoice",
	)
	text = body_text(queue.message)
	assert invoice.name in text and "due on" in text

	# the job run again, the same day or the next: nothing more
	for as_of in (add_days(DUE, -3), add_days(DUE, -1)):
		assert run(school, as_of, invoice)["sent"] == []
	assert len(logs(invoice.name)) == 1 and len(queued_for(invoice.name)) == 1

	assert [r.stage for r in run(school, DUE, invoice)["sent"]] == ["On the due date"]
	# 7 days overdue: Email and SMS, but the site has no SMS gateway: held back, nothing recorded
	result = run(school, add_days(DUE, 7), invoice)
	assert [(r.stage, r.channel) for r in result["sent"]] == [("7 days overdue", "Email")]
	assert "SMS" in result["unavailable"]
	assert logs(invoice.name, channel="SMS") == []
	# a missed day catches up with the stage due now (10 days), never with every stage skipped
	assert [r.stage for r in run(school, add_days(DUE, 12), invoice)["sent"]] == ["10 days overdue"]
	assert run(school, add_days(DUE, 13), invoice)["sent"] == []

	stages = [row.stage for row in logs(invoice.name)]
	assert stages == ["3 days before the due date", "On the due date", "7 days overdue", "10 days overdue"]
	templated = queued_for(invoice.name)[-1]
	assert subject_of(templated.message) == f"Overdue: {invoice.name} for {invoice.student_name}"
	templated_text = body_text(templated.message)
	assert "Dear Asha Rao" in templated_text and "is 12 days overdue (10 days overdue)" in templated_text
	assert len(queued_for(invoice.name)) == 4

	# recorded on the invoice's history and in its audit trail
	history = get_invoice_history(invoice.name)
	assert [(r.stage, r.channel, r.status) for r in history["reminders"]] == [
		(stage, "Email", "Sent") for stage in stages
	]
	audit = reminder_audit(invoice.name)
	assert len(audit) == 4 and all("guardian@school-fees.invalid" in reason for reason in audit)
	assert [a.action for a in history["audit"]].count("Reminder") == 4


def test_a_stage_another_process_has_claimed_is_not_sent_again(school, head):
	"""Two processes planning the same stage: the one that finds the key taken by the database's
	unique index (after planning) sends nothing."""
	invoice = issue(school, head)
	key = f"{invoice.name}|0|Email"
	reminders.insert_log(
		{"fee_invoice": invoice.name, "channel": "Email", "status": "Sent", "reminder_key": key}
	)
	batch = reminders.ReminderBatch(DUE, reminders.STAGE)
	stage = reminders.make_stage("On Due Date", 0)
	row = frappe._dict(name=invoice.name, student=invoice.student, company=school, due_date=invoice.due_date)
	contact = reminders.guardian_contacts([invoice.student])[invoice.student]

	assert batch.remind(row, stage, "Email", key, contact) is None
	assert queued_for(invoice.name) == [] and reminder_audit(invoice.name) == []
	assert [r.reminder_key for r in logs(invoice.name)] == [key]


def test_the_pdf_queued_with_a_reminder_renders(school, head, site_assets):
	invoice = issue(school, head)
	run(school, DUE)
	[queue] = queued_for(invoice.name)
	[attachment] = json.loads(queue.attachments)
	# what the Email Queue does with the attachment when it sends the mail
	pdf = frappe.attach_print(
		attachment["doctype"],
		attachment["name"],
		print_format=attachment["print_format"],
		file_name=attachment["file_name"],
	)
	assert pdf["fname"] == f"{invoice.name}.pdf"
	assert pdf["fcontent"][:5] == b"%PDF-"


def test_draft_paid_and_cancelled_invoices_are_never_reminded(school, head):
	paid = issue(school, head, amount=1000)
	make_payment_allocation(
		school, paid.customer, paid_amount=1000, posting_date=POSTING, allocations=[(paid.name, 1000)]
	)
	part_paid = issue(school, head, amount=1000)
	make_payment_allocation(
		school, part_paid.customer, paid_amount=400, posting_date=POSTING, allocations=[(part_paid.name, 400)]
	)
	draft = issue(school, head, submit=False)
	cancelled = issue(school, head)
	cancel_fee_invoice(cancelled.name, "Billed to the wrong student")
	assert frappe.db.get_value("Fee Invoice", paid.name, "status") == "Paid"

	result = run(school, add_days(DUE, 7), paid, part_paid, draft, cancelled)

	assert [r.invoice for r in result["sent"]] == [part_paid.name]
	for name in (paid.name, draft.name, cancelled.name):
		assert logs(name) == [] and queued_for(name) == [] and reminder_audit(name) == []
	[reminded] = logs(part_paid.name)
	assert (reminded.stage, reminded.status) == ("7 days overdue", "Sent")
	assert "600" in body_text(queued_for(part_paid.name)[0].message)  # what is still owed


def test_a_guardian_without_contacts_is_skipped_with_the_reason_once(school, head):
	nobody = guardian(school, email_id="", phone="")
	invoice = issue(school, head, student=nobody)

	result = run(school, add_days(DUE, 7), invoice)
	assert [(r.invoice, r.channel, r.reason) for r in result["skipped"]] == [
		(invoice.name, "Email", "The guardian has no email address.")
	]
	run(school, add_days(DUE, 8))  # again: the skip is not recorded twice
	[skipped] = logs(invoice.name)
	assert (skipped.status, skipped.stage, skipped.reason) == (
		"Skipped",
		"7 days overdue",
		"The guardian has no email address.",
	)
	assert queued_for(invoice.name) == []
	assert reminder_audit(invoice.name) == [
		"7 days overdue by Email skipped: The guardian has no email address."
	]

	# the school adds the address: the stage due is sent on the next run
	frappe.db.set_value("Student", nobody.name, "guardian_email", "late@school-fees.invalid")
	result = run(school, add_days(DUE, 9), invoice)
	assert [(r.stage, r.recipient) for r in result["sent"]] == [
		("7 days overdue", "late@school-fees.invalid")
	]
	assert [row.status for row in logs(invoice.name)] == ["Skipped", "Sent"]


def test_an_sms_gateway_that_cannot_be_reached_is_a_recorded_failure_not_a_stop(school, head):
	frappe.db.set_single_value(
		"SMS Settings",
		{"sms_gateway_url": UNREACHABLE_GATEWAY, "message_parameter": "text", "receiver_parameter": "to"},
	)
	first = issue(school, head)
	second = issue(school, head, student=guardian(school, email_id="other@school-fees.invalid"))
	errors_before = frappe.db.count("Error Log", {"reference_name": ("in", [first.name, second.name])})

	result = run(school, add_days(DUE, 7), first, second)

	for invoice in (first, second):
		by_channel = {row.channel: row for row in logs(invoice.name)}
		assert by_channel["Email"].status == "Sent"  # the email still went, in its own savepoint
		failed = by_channel["SMS"]
		assert failed.status == "Failed" and failed.reminder_key is None
		assert "127.0.0.1" in failed.reason or "refused" in failed.reason.lower()
		assert len(queued_for(invoice.name)) == 1
	assert {(r.invoice, r.channel) for r in result["failed"]} == {(first.name, "SMS"), (second.name, "SMS")}
	assert (
		frappe.db.count("Error Log", {"reference_name": ("in", [first.name, second.name])})
		== errors_before + 2
	)

	# a failure is tried again on the next run; what was sent is not
	run(school, add_days(DUE, 8))
	assert [row.status for row in logs(first.name, channel="SMS")] == ["Failed", "Failed"]
	assert len(logs(first.name, channel="Email")) == 1


def test_sms_through_sms_settings_is_sent_once_with_a_link_to_the_invoice(school, head, monkeypatch):
	frappe.db.set_single_value(
		"SMS Settings",
		{
			"sms_gateway_url": "https://sms.example.invalid/send",
			"message_parameter": "text",
			"receiver_parameter": "to",
		},
	)
	requests = []

	def gateway(url, params, headers=None, use_post=False, use_json=False):  # the network boundary only
		requests.append((url, dict(params)))
		return 200

	monkeypatch.setattr("frappe.core.doctype.sms_settings.sms_settings.send_request", gateway)
	invoice = issue(school, head)

	run(school, add_days(DUE, 7))
	run(school, add_days(DUE, 7))

	# messages about this invoice only: the shared test school may hold invoices other tests committed
	[(url, params)] = [(url, params) for url, params in requests if invoice.name in params["text"]]
	assert url == "https://sms.example.invalid/send" and params["to"] == "+919876543210"
	assert invoice.name in params["text"] and "/printview?" in params["text"] and "key=" in params["text"]
	[sms] = logs(invoice.name, channel="SMS")
	assert (sms.status, sms.recipient) == ("Sent", "+91 98765 43210")
	assert frappe.db.exists("SMS Log", {"sent_to": "+919876543210", "message": params["text"]})


def test_reminders_are_off_unless_the_school_turns_them_on(school, head):
	invoice = issue(school, head)
	frappe.db.set_single_value("School Fees Settings", "send_reminders", 0)
	assert run(school, add_days(DUE, 7), invoice)["sent"] == []
	assert logs(invoice.name) == []


def test_a_school_without_stages_of_its_own_follows_the_standard_schedule(company, outgoing_mail, head):
	frappe.db.set_single_value("School Fees Settings", "send_reminders", 1)
	frappe.db.delete("Fee Reminder Stage", {"parent": "School Fees Settings"})  # rolled back
	invoice = issue(company, head)
	run(company, add_days(DUE, 15))
	assert [row.stage for row in logs(invoice.name)] == ["14 days overdue"]


def test_the_schedule_refuses_a_stage_without_days_and_a_stage_twice(company):
	settings = frappe.get_doc("School Fees Settings")
	settings.append("reminder_stages", {"company": company, "timing": "After Due Date", "days": 0})
	with pytest.raises(ReminderStageError):
		settings.validate_reminder_stages()
	settings.reminder_stages[-1].days = 7
	settings.append("reminder_stages", {"company": company, "timing": "On Due Date", "days": 5})
	settings.validate_reminder_stages()
	assert settings.reminder_stages[-1].days == 0  # "on the due date" has no days
	settings.append("reminder_stages", {"company": company, "timing": "After Due Date", "days": 7})
	with pytest.raises(ReminderStageError):
		settings.validate_reminder_stages()


# ---------------------------------------------------------------- "Send reminder" from the list


def test_send_reminder_now_from_the_list_reports_each_invoice(school, head):
	overdue = issue(school, head)
	paid = issue(school, head, amount=500)
	make_payment_allocation(
		school, paid.customer, paid_amount=500, posting_date=POSTING, allocations=[(paid.name, 500)]
	)
	draft = issue(school, head, submit=False)
	nobody = issue(school, head, student=guardian(school, email_id="", phone=""))
	manager = make_user("Fees Manager")

	frappe.set_user(manager)
	result = send_reminders(json.dumps([overdue.name, paid.name, draft.name, nobody.name]))
	again = send_reminders([overdue.name])
	frappe.set_user("Administrator")

	assert result["sent"] == {
		overdue.name: ["Email"]
	}  # the school's stages use Email and SMS; no SMS gateway
	assert "SMS" in result["unavailable"]
	assert "Paid" in result["skipped"][paid.name] and "Draft" in result["skipped"][draft.name]
	assert result["skipped"][nobody.name] == "Email: The guardian has no email address."
	assert again == {
		"sent": {},
		"skipped": {overdue.name: "Email: already reminded today."},
		"failed": {},
		"unavailable": again["unavailable"],
	}
	[manual] = logs(overdue.name)
	assert (manual.stage, manual.status) == ("Manual reminder", "Sent")
	assert frappe.db.get_value("Fee Reminder Log", {"fee_invoice": overdue.name}, "user") == manager
	assert len(queued_for(overdue.name)) == 1
	assert queued_for(paid.name) == [] and queued_for(draft.name) == []


def test_a_cashier_cannot_send_reminders(school, head):
	invoice = issue(school, head)
	frappe.set_user(make_user("Fee Cashier"))
	with pytest.raises(ReminderNotPermittedError):
		send_reminders([invoice.name])
	frappe.set_user("Administrator")
	assert logs(invoice.name) == []


def test_many_invoices_are_sent_in_the_background(school, head, monkeypatch):
	queued = []
	monkeypatch.setattr(reminders, "bulk_threshold", lambda: 1)
	monkeypatch.setattr(frappe, "enqueue", lambda method, **kwargs: queued.append((method, kwargs)))
	first, second = issue(school, head), issue(school, head)

	result = send_reminders([first.name, second.name])

	assert result["queued"] and result["count"] == 2
	[(method, kwargs)] = queued
	assert method == "school_fees.reminders.run_send_reminders" and kwargs["queue"] == "long"
	assert logs(first.name) == []
	# the job itself: sends, and leaves the result for the user in a Notification Log
	job_result = reminders.run_send_reminders(**{"names": kwargs["names"]})
	assert sorted(job_result["sent"]) == sorted([first.name, second.name])
	assert frappe.db.exists(
		"Notification Log",
		{"for_user": "Administrator", "subject": ("like", "Reminders sent for 2 invoices%")},
	)


# ---------------------------------------------------------------- a Billing Run's "Notify Guardians"


def test_notify_guardians_sends_each_family_one_message_once(school, head):
	elder = guardian(school, email_id="family@school-fees.invalid")
	younger = guardian(school, email_id="family@school-fees.invalid", customer=elder.customer)
	other = guardian(school, email_id="other-family@school-fees.invalid")
	unreachable = guardian(school, email_id="", phone="")
	run_doc = make_billing_run(
		school,
		make_fee_structure(school).name,
		scope="Manual",
		students=[s.name for s in (elder, younger, other, unreachable)],
	)
	invoices = {
		student.name: issue(school, head, student=student, billing_run=run_doc.name)
		for student in (elder, younger, other, unreachable)
	}
	draft = issue(school, head, student=other, billing_run=run_doc.name, submit=False)
	manager = make_user("Fees Manager")

	frappe.set_user(manager)
	with pytest.raises(BillingRunNotCompletedError):
		notify_billing_run(run_doc.name)
	frappe.db.set_value("Billing Run", run_doc.name, "status", "Completed")
	result = notify_billing_run(run_doc.name)
	again = notify_billing_run(run_doc.name)
	frappe.set_user("Administrator")

	assert sorted(result["notified"]) == sorted([elder.customer, other.customer])
	assert result["invoices"] == 3
	assert result["skipped"] == {unreachable.customer: "The guardian has no email address or phone number."}
	assert (again["notified"], again["invoices"]) == ([], 0)

	family = [invoices[elder.name].name, invoices[younger.name].name]
	rows = frappe.get_all(
		"Fee Reminder Log",
		filters={"billing_run": run_doc.name, "status": "Sent"},
		fields=["fee_invoice", "student", "email_queue", "channel"],
	)
	assert sorted(r.fee_invoice for r in rows) == sorted([*family, invoices[other.name].name])
	by_invoice = {r.fee_invoice: r for r in rows}
	assert by_invoice[family[0]].email_queue == by_invoice[family[1]].email_queue  # one message
	assert by_invoice[family[1]].student == younger.name
	queue = frappe.get_doc("Email Queue", by_invoice[family[0]].email_queue)
	assert [r.recipient for r in queue.recipients] == ["family@school-fees.invalid"]
	text = body_text(queue.message)
	assert all(name in text for name in family) and invoices[other.name].name not in text
	assert "/printview?" in text and "key=" in text
	assert (
		draft.name not in text
		and frappe.get_all("Fee Reminder Log", filters={"fee_invoice": draft.name}) == []
	)
	assert frappe.db.count("Email Queue", {"name": ("in", [r.email_queue for r in rows])}) == 2
	assert reminder_audit(family[1]) == ["New invoices sent by Email to family@school-fees.invalid"]
