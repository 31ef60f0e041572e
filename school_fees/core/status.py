"""Fee Invoice status: derived from docstatus and money, never typed.

Statuses: Draft, Issued, Partially Paid, Paid, Overdue, Cancelled. Overdue is Issued or Partially
Paid past the due date. Allowed transitions (:data:`ALLOWED_TRANSITIONS`):

- Draft -> Issued; Draft -> Paid (a zero-total invoice is paid on submit); Draft -> Overdue
  (issued after its due date). Draft -> Cancelled is not allowed: a draft is deleted, not cancelled.
- Issued <-> Partially Paid <-> Paid and Issued -> Paid, as payments are allocated; Paid ->
  Partially Paid / Issued when a payment is cancelled.
- Issued / Partially Paid <-> Overdue (daily overdue job; back when the due-date test no longer
  holds); Overdue -> Paid when settled; Paid -> Overdue when a payment of an overdue invoice is
  cancelled.
- Any submitted status (Issued, Partially Paid, Paid, Overdue) -> Cancelled. Cancelled is final.

Staying in the same status is always allowed (it is not a transition).
"""

from datetime import date

from school_fees.core.money import Number, to_decimal

DRAFT = "Draft"
ISSUED = "Issued"
PARTIALLY_PAID = "Partially Paid"
PAID = "Paid"
OVERDUE = "Overdue"
CANCELLED = "Cancelled"
STATUSES = (DRAFT, ISSUED, PARTIALLY_PAID, PAID, OVERDUE, CANCELLED)
SUBMITTED_STATUSES = (ISSUED, PARTIALLY_PAID, PAID, OVERDUE)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
	DRAFT: frozenset({ISSUED, PAID, OVERDUE}),
	ISSUED: frozenset({PARTIALLY_PAID, PAID, OVERDUE, CANCELLED}),
	PARTIALLY_PAID: frozenset({ISSUED, PAID, OVERDUE, CANCELLED}),
	PAID: frozenset({ISSUED, PARTIALLY_PAID, OVERDUE, CANCELLED}),
	OVERDUE: frozenset({ISSUED, PARTIALLY_PAID, PAID, CANCELLED}),
	CANCELLED: frozenset(),
}


def invoice_status(
	docstatus: int, grand_total: Number, outstanding: Number, due_date: date, today: date
) -> str:
	"""Status of a Fee Invoice.

	docstatus 0 -> Draft; 2 -> Cancelled; submitted: nothing outstanding -> Paid (so a zero-total
	invoice is Paid); due date before today -> Overdue; partly paid -> Partially Paid; else Issued.
	"""
	docstatus = int(docstatus or 0)
	if docstatus == 0:
		return DRAFT
	if docstatus == 2:
		return CANCELLED
	outstanding_dec = to_decimal(outstanding)
	if outstanding_dec <= 0:
		return PAID
	if due_date and due_date < today:
		return OVERDUE
	if outstanding_dec < to_decimal(grand_total):
		return PARTIALLY_PAID
	return ISSUED


def is_allowed_transition(from_status: str, to_status: str) -> bool:
	"""True if an invoice may move from ``from_status`` to ``to_status`` (same status: True)."""
	if from_status not in ALLOWED_TRANSITIONS or to_status not in ALLOWED_TRANSITIONS:
		return False
	return from_status == to_status or to_status in ALLOWED_TRANSITIONS[from_status]
