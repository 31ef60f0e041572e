"""Billing rules: which structures can be billed, the order of dates, the billing key of an
installment, why a student's installment is skipped, and how a Billing Run ends.

Pure functions on plain values; the services translate their answers into messages.
"""

import hashlib
from datetime import date

# A fee structure that cannot be billed, and why
NOT_SUBMITTED = "not submitted"
CANCELLED = "cancelled"

# Why one installment of one student is not billed (not an error)
EXCLUDED = "Excluded by hand"
INACTIVE = "Inactive"
ALREADY_INVOICED = "Already invoiced"
LEFT = "Left before the installment"
NOTHING_TO_BILL = "Nothing to bill"
SKIP_REASONS = (EXCLUDED, INACTIVE, ALREADY_INVOICED, LEFT, NOTHING_TO_BILL)

# Billing Run statuses
QUEUED = "Queued"
PROCESSING = "Processing"
COMPLETED = "Completed"
PARTIALLY_COMPLETED = "Partially Completed"
FAILED = "Failed"
RUNNING_STATUSES = (QUEUED, PROCESSING)

BILLING_KEY_MAX_LENGTH = 140


def structure_refusal(docstatus: int | None) -> str | None:
	"""Why a fee structure with this docstatus cannot be billed (NOT_SUBMITTED, CANCELLED), or None
	when it can: only a submitted structure bills."""
	if docstatus == 1:
		return None
	return CANCELLED if docstatus == 2 else NOT_SUBMITTED


def is_billable(docstatus: int | None) -> bool:
	return structure_refusal(docstatus) is None


def due_before(due_date: date | None, start_date: date | None) -> bool:
	"""True when a due date falls before the date it must not precede (the invoice date, or an
	installment's issue date). Missing dates never conflict."""
	return bool(due_date and start_date and due_date < start_date)


def billing_key(student: str, fee_structure: str, installment: str) -> str:
	"""The value of Fee Invoice.billing_key for one student's installment of a fee structure.

	Readable (``student:structure:installment``) unless that would not fit the column, then a
	digest of the same triple."""
	key = f"{student}:{fee_structure}:{installment}"
	if len(key) > BILLING_KEY_MAX_LENGTH:
		key = "sha1:" + hashlib.sha1(key.encode()).hexdigest()
	return key


def late_fee_billing_key(original_invoice: str, period: int) -> str:
	"""Key of the late fee charged on `original_invoice` up to its `period`-th chargeable period, so
	the same period is never charged twice, even by two processes."""
	return f"late:{original_invoice}:{period}"


def skip_reason(
	*,
	excluded: bool,
	status: str | None,
	key_taken: bool,
	leaving_date: date | None,
	issue_date: date | None,
) -> str | None:
	"""Why one installment of one student is not billed, or None when it is to be billed. The
	first matching reason wins: excluded by hand, inactive, already invoiced, left before the
	installment's issue date."""
	if excluded:
		return EXCLUDED
	if status != "Active":
		return INACTIVE
	if key_taken:
		return ALREADY_INVOICED
	if due_before(leaving_date, issue_date):
		return LEFT
	return None


def final_status(invoices_of_run: int, failed: int, stopped: bool = False) -> str:
	"""Status of a run once the job has finished: Completed when nothing failed (even if everybody
	was skipped), Partially Completed when some failed (or the job stopped) but the run has
	invoices, else Failed."""
	if not failed and not stopped:
		return COMPLETED
	return PARTIALLY_COMPLETED if invoices_of_run else FAILED
