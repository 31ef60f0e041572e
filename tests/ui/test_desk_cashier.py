"""A Fee Cashier records a receipt in the desk: Payment Allocation form, student, mode of payment ->
Paid To filled, save -> allocations filled oldest due first, submit; the invoices flip to Paid and
Partially Paid."""

from desk_session import expect


def test_cashier_records_a_receipt_allocated_oldest_first(desk, ui_data, db, shot):
	cashier = desk(ui_data.cashier)
	cashier.goto("/app/payment-allocation/new")
	cashier.wait_for_form("Payment Allocation")
	assert cashier.value("allocation_type") == "Receipt"
	assert cashier.value("company") == ui_data.company, "the cashier's school is not the form's default"

	cashier.fill_link("student", ui_data.payer_name)
	cashier.page.wait_for_function("() => cur_frm.doc.customer")
	assert cashier.value("customer") == ui_data.payer_customer

	cashier.fill_link("mode_of_payment", "Cash")
	cashier.page.wait_for_function("() => cur_frm.doc.paid_to")
	assert cashier.value("paid_to") == f"Cash - {ui_data.abbr}"
	expect(cashier.field("paid_to")).to_have_value(f"Cash - {ui_data.abbr}")

	cashier.fill("paid_amount", "1600")
	shot(cashier, "1-filled")
	cashier.save()
	rows = cashier.page.evaluate(
		"() => cur_frm.doc.allocations.map((r) => [r.fee_invoice, r.allocated_amount])"
	)
	assert rows == [[ui_data.old_invoice, 1000], [ui_data.new_invoice, 600]]
	receipt = cashier.value("name")
	shot(cashier, "2-saved-allocations")

	cashier.submit()
	assert cashier.value("docstatus") == 1 and cashier.status() not in ("Draft", "Not Saved")
	cashier.assert_clean("recording the receipt")

	cashier.open_form("Fee Invoice", ui_data.old_invoice)
	assert cashier.status() == "Paid"
	cashier.page.get_by_text(receipt).first.wait_for()  # the payment history names the receipt
	shot(cashier, "3-old-invoice-paid")
	cashier.open_form("Fee Invoice", ui_data.new_invoice)
	assert cashier.status() == "Partially Paid"
	cashier.assert_clean("opening the invoices")

	assert db.get_value("Payment Allocation", receipt, ["docstatus", "paid_amount"]) == (1, 1600)
	assert db.get_value("Fee Invoice", ui_data.old_invoice, ["status", "outstanding_amount"]) == ("Paid", 0)
	assert db.get_value("Fee Invoice", ui_data.new_invoice, ["status", "outstanding_amount"]) == (
		"Partially Paid",
		900,
	)
