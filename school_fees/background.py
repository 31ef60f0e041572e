"""Desk actions on many documents: above a threshold the work runs as a job on the long queue,
publishes its progress to the user who asked, and leaves its result in a Notification Log (the
bell). Used by the bulk cancel and PDF export (bulk.py) and the reminders (reminders.py)."""

import frappe
from frappe import _
from frappe.utils import cint


def selection(names: list[str] | str, empty_message: str, error: type[Exception]) -> list[str]:
	"""The selected names, parsed from the request (a JSON list or comma-separated), without blanks
	or repeats, in the given order; none at all is refused with `empty_message` as `error`."""
	if isinstance(names, str):
		names = frappe.parse_json(names) if names.strip().startswith("[") else names.split(",")
	names = list(dict.fromkeys(str(n).strip() for n in names or [] if n and str(n).strip()))
	if not names:
		frappe.throw(empty_message, error)
	return names


def enqueue_long(method: str, job_name: str, count: int, seconds_each: int, **kwargs) -> dict:
	"""Queue `method(**kwargs)` on the long queue (after the request commits), with a timeout for
	`count` items of `seconds_each`. Returns the request's answer: {"queued": True, "job_id", "count"}."""
	job_id = f"{job_name}::{frappe.generate_hash(length=12)}"
	frappe.enqueue(
		method,
		queue="long",
		timeout=max(1500, seconds_each * count),
		job_id=job_id,
		enqueue_after_commit=True,
		**kwargs,
	)
	return {"queued": True, "job_id": job_id, "count": count}


def progress_publisher(title: str, description: str | None = None):
	"""A `progress(done, total)` callback publishing the job's progress at most about 100 times;
	`description` is formatted with done and total (default "{0} of {1}")."""
	description = description or _("{0} of {1}")

	def publish(done: int, total: int) -> None:
		step = max(1, total // 100)
		if done == total or done % step == 0:
			frappe.publish_progress(
				cint(done * 100 / total), title=title, description=description.format(done, total)
			)

	return publish


def notify_user(subject: str, body: str, **values) -> None:
	"""A background job's result, for the user who asked (a Notification Log: the bell)."""
	notification = frappe.new_doc("Notification Log")
	notification.update(
		{
			"for_user": frappe.session.user,
			"from_user": frappe.session.user,
			"type": "Alert",
			"subject": subject,
			"email_content": body,
			**values,
		}
	)
	notification.insert(ignore_permissions=True)
