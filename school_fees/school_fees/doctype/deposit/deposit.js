// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Deposit", {
	setup(frm) {
		frm.set_query("student", () => ({ filters: { company: frm.doc.company || undefined } }));
		frm.set_query("paid_to", () => ({
			filters: { company: frm.doc.company, is_group: 0, account_type: ["in", ["Bank", "Cash"]] },
		}));
		frm.set_query("approved_by", () => ({ filters: { user_type: "System User", enabled: 1 } }));
	},

	refresh(frm) {
		render_history(frm);
		if (frm.doc.docstatus === 1 && frm.doc.remaining_amount > 0) {
			// a Fee Cashier uses a deposit for invoices; moving it to credit or refunding it is a manager's
			const create = (label, allocation_type) => {
				if (!school_fees.form.may_allocate(allocation_type)) return;
				frm.add_custom_button(label, () => school_fees.form.use_source(frm, allocation_type), __("Create"));
			};
			create(__("Use for Invoices"), "Apply Deposit");
			create(__("Move to Credit"), "Deposit to Credit");
			create(__("Refund"), "Refund");
		}
	},

	student: (frm) => school_fees.form.set_customer_from_student(frm),

	mode_of_payment: (frm) => school_fees.form.set_paid_to_from_mode_of_payment(frm),
});

function render_history(frm) {
	const history = (frm.doc.__onload && frm.doc.__onload.history) || [];
	const wrapper = frm.get_field("history_html").$wrapper;
	if (!history.length) {
		wrapper.html(`<p class="text-muted">${__("No movements yet.")}</p>`);
		return;
	}
	const rows = history
		.map(
			(row) => `<tr>
				<td>${frappe.datetime.str_to_user(row.date)}</td>
				<td>${frappe.utils.escape_html(row.kind)}</td>
				<td>${row.voucher ? `<a href="/app/payment-allocation/${encodeURIComponent(row.voucher)}">${frappe.utils.escape_html(row.voucher)}</a>` : ""}</td>
				<td class="text-right">${format_currency(row.amount, frm.doc.currency)}</td>
			</tr>`
		)
		.join("");
	wrapper.html(`<table class="table table-bordered table-condensed">
		<thead><tr><th>${__("Date")}</th><th>${__("Movement")}</th><th>${__("Voucher")}</th><th class="text-right">${__("Amount")}</th></tr></thead>
		<tbody>${rows}</tbody>
		<tfoot><tr><th colspan="3">${__("Held")}</th><th class="text-right">${format_currency(frm.doc.remaining_amount, frm.doc.currency)}</th></tr></tfoot>
	</table>`);
}
