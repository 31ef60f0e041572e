"""A Fees Manager in the desk: cancels an invoice with a reason from the form's dialog, bulk-cancels
two from the list with one reason, and previews, confirms and completes a Billing Run (a worker
on the long queue runs its job)."""

import re
import time

from desk_session import expect

REASON = "Charged twice for the same month"
BULK_REASON = "Billed before the fee revision was approved"


def test_manager_cancels_an_invoice_from_the_form_with_a_reason(desk, ui_data, db, shot):
	manager = desk(ui_data.manager)
	manager.open_form("Fee Invoice", ui_data.form_cancel)
	assert manager.status() in ("Issued", "Overdue")

	manager.page_button("Cancel").click()
	dialog = manager.dialog()
	expect(dialog).to_contain_text(f"Cancel Fee Invoice {ui_data.form_cancel}")
	dialog.locator("[data-fieldname='reason'] textarea").fill(REASON)
	dialog.locator("input[data-fieldname='confirm']").check()
	shot(manager, "1-reason-dialog")
	manager.dialog_button("Cancel Invoice").click()
	manager.page.wait_for_function(
		"(name) => cur_frm.doc.name === name && cur_frm.doc.docstatus === 2", arg=ui_data.form_cancel
	)
	manager.settle()
	assert manager.status() == "Cancelled"
	expect(manager.page.locator(".form-intro-area:visible, .form-message:visible").first).to_contain_text(
		REASON
	)
	shot(manager, "2-cancelled")
	manager.assert_clean("cancelling from the form")

	stored = db.get_value(
		"Fee Invoice", ui_data.form_cancel, ["docstatus", "status", "cancellation_reason"], as_dict=True
	)
	assert (stored.docstatus, stored.status, stored.cancellation_reason) == (2, "Cancelled", REASON)
	assert not db.get_all(
		"GL Entry",
		filters={"voucher_type": "Fee Invoice", "voucher_no": ui_data.form_cancel, "is_cancelled": 0},
	)


def test_manager_bulk_cancels_two_invoices_from_the_list_with_one_reason(desk, ui_data, db, shot):
	manager = desk(ui_data.manager)
	manager.open_list("Fee Invoice", f"student={ui_data.other_student}")
	of_student = sorted([ui_data.form_cancel, *ui_data.bulk_cancel])
	assert manager.wait_for_list(of_student) == of_student
	for name in ui_data.bulk_cancel:
		manager.page.locator(f".list-row-checkbox[data-name='{name}']").check()
	actions = manager.page.locator(".page-head:visible .actions-btn-group > button")
	actions.click()
	items = manager.page.locator(".page-head:visible .actions-btn-group .dropdown-menu .menu-item-label")
	labels = [label.strip() for label in items.all_inner_texts()]
	assert "Cancel with reason" in labels
	assert "Cancel" not in labels, "Frappe's bulk Cancel (no reason, always refused) is still offered"
	shot(manager, "1-actions")
	items.filter(has_text=re.compile(r"^\s*Cancel with reason\s*$")).click()

	dialog = manager.dialog()
	expect(dialog).to_contain_text("Cancel 2 Fee Invoices")
	dialog.locator("[data-fieldname='reason'] textarea").fill(BULK_REASON)
	manager.dialog_button("Cancel Invoices").click()
	result = manager.page.locator(".modal.show .bulk-cancel-cancelled")
	expect(result).to_contain_text("Cancelled 2")
	for name in ui_data.bulk_cancel:
		expect(result).to_contain_text(name)
	shot(manager, "2-result")
	manager.close_dialog()
	manager.assert_clean("bulk cancel")

	for name in ui_data.bulk_cancel:
		assert db.get_value("Fee Invoice", name, ["docstatus", "status", "cancellation_reason"]) == (
			2,
			"Cancelled",
			BULK_REASON,
		)
		reasons = db.get_all(
			"Fee Audit Log",
			filters={"reference_doctype": "Fee Invoice", "reference_name": name, "action": "Cancelled"},
			fields=["reason", "user"],
		)
		assert [(r.reason, r.user) for r in reasons] == [(BULK_REASON, ui_data.manager)]


def test_a_billing_run_is_previewed_confirmed_and_completes(desk, ui_data, db, worker, shot):
	manager = desk(ui_data.manager)
	manager.open_form("Billing Run", ui_data.billing_run)
	assert manager.status() == "Draft"

	manager.page_button("Preview").click()
	preview = manager.page.locator(".page-container:visible [data-fieldname='preview_html']")
	expect(preview).to_contain_text("Students to bill")
	cards = {
		label: value
		for label, value in manager.page.evaluate(
			"""() => [...document.querySelectorAll("[data-fieldname='preview_html'] .row .col-sm-2")]
				.map((card) => [card.querySelector('.text-muted').innerText.trim(), card.querySelector('h4').innerText.trim()])"""
		)
	}
	assert (cards["Students to bill"], cards["Invoices to create"]) == ("2", "2")
	for student in ui_data.billed_students:
		expect(preview).to_contain_text(db.get_value("Student", student, "student_name"))
	shot(manager, "1-preview")

	manager.page_button("Confirm & Generate Invoices").click()
	manager.dialog_button("Yes").click()
	manager.page.wait_for_function("() => cur_frm.doc.status !== 'Draft'")
	manager.settle()

	deadline = time.monotonic() + 180
	while manager.value("status") in ("Queued", "Processing"):
		assert time.monotonic() < deadline, "the Billing Run did not complete: is the worker running?"
		time.sleep(2)
		manager.reload()  # no realtime server in the suite: the person reloads
		manager.wait_for_form("Billing Run", ui_data.billing_run)
	assert manager.status() == "Completed"
	assert manager.value("created_count") == 2
	shot(manager, "2-completed")
	manager.assert_clean("billing run")

	invoices = db.get_all(
		"Fee Invoice",
		filters={"billing_run": ui_data.billing_run},
		fields=["student", "installment", "docstatus", "grand_total"],
		order_by="student",
	)
	assert [(i.student, i.installment, i.docstatus, i.grand_total) for i in invoices] == [
		(student, "Q1", 1, 3000) for student in ui_data.billed_students
	]
