// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

const FEE_INVOICE_METHODS = "school_fees.school_fees.doctype.fee_invoice.fee_invoice";

frappe.ui.form.on("Fee Invoice", {
	setup(frm) {
		frm.set_query("student", () => ({ filters: { company: frm.doc.company || undefined } }));
		frm.set_query("fee_head", "items", () => ({}));
		frm.set_query("cost_center", () => ({
			filters: { company: frm.doc.company, is_group: 0 },
		}));
	},

	refresh(frm) {
		frm.set_intro("");
		if (frm.doc.docstatus === 1) {
			const can_cancel = frm.perm[0] && frm.perm[0].cancel;
			frm.set_intro(
				can_cancel
					? __("Issued invoices cannot be edited. To correct one, cancel it with a reason and issue a new one.")
					: __("Issued invoices cannot be edited."),
				"blue"
			);
			// Cancelling needs a reason (and a Fees Manager): replace the standard Cancel action
			if (can_cancel) {
				frm.page.set_secondary_action(__("Cancel"), () => school_fees.fee_invoice.cancel_dialog(frm));
			}
		}
		if (frm.doc.docstatus === 2 && frm.doc.cancellation_reason) {
			frm.set_intro(__("Cancelled: {0}", [frappe.utils.escape_html(frm.doc.cancellation_reason)]), "red");
		}
		if (frm.doc.docstatus === 1 && frm.doc.outstanding_amount > 0) {
			frm.add_custom_button(__("Accounting Ledger"), () => {
				frappe.route_options = {
					voucher_no: frm.doc.name,
					from_date: frm.doc.posting_date,
					to_date: frm.doc.posting_date,
					company: frm.doc.company,
					group_by: "Group by Voucher (Consolidated)",
				};
				frappe.set_route("query-report", "General Ledger");
			}, __("View"));
		}
		school_fees.fee_invoice.render_history(frm);
	},

	student(frm) {
		if (!frm.doc.student) return;
		frappe.db
			.get_value("Student", frm.doc.student, ["company", "customer", "grade", "class_section"])
			.then(({ message }) => {
				if (!message) return;
				frm.set_value({
					company: frm.doc.company || message.company,
					customer: message.customer,
					grade: message.grade,
					class_section: message.class_section,
				});
			});
	},

	posting_date(frm) {
		if (frm.doc.posting_date && (!frm.doc.due_date || frm.doc.due_date < frm.doc.posting_date)) {
			frm.set_value("due_date", frm.doc.posting_date);
		}
	},
});

frappe.ui.form.on("Fee Invoice Item", {
	amount: (frm, cdt, cdn) => school_fees.fee_invoice.update_row(frm, cdt, cdn),
	discount_amount: (frm, cdt, cdn) => school_fees.fee_invoice.update_row(frm, cdt, cdn),
	items_remove: (frm) => school_fees.fee_invoice.update_totals(frm),
});

frappe.provide("school_fees.fee_invoice");

Object.assign(school_fees.fee_invoice, {
	// Only a preview while typing: the server recomputes every amount on save
	update_row(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		frappe.model.set_value(cdt, cdn, "net_amount", flt(row.amount) - flt(row.discount_amount));
		school_fees.fee_invoice.update_totals(frm);
	},

	update_totals(frm) {
		const total = (frm.doc.items || []).reduce((sum, row) => sum + flt(row.amount), 0);
		const discount = (frm.doc.items || []).reduce((sum, row) => sum + flt(row.discount_amount), 0);
		frm.set_value({ total, discount_total: discount, grand_total: total - discount });
	},

	cancel_dialog(frm) {
		school_fees.form.ask_reason(
			{
				title: __("Cancel Fee Invoice {0}", [frm.doc.name]),
				intro: __(
					"The invoice's ledger entries are reversed and it stays on record as Cancelled. Money already collected is not refunded by this."
				),
				description: __("At least 10 characters; kept on the invoice and in the audit log."),
				confirm_label: __("I am authorised to cancel this invoice"),
				primary_label: __("Cancel Invoice"),
			},
			(reason) =>
				frappe
					.call({
						method: `${FEE_INVOICE_METHODS}.cancel_fee_invoice`,
						args: { name: frm.doc.name, reason },
						freeze: true,
						freeze_message: __("Cancelling..."),
					})
					.then(() => frm.reload_doc())
		);
	},

	render_history(frm) {
		const wrapper = frm.fields_dict.history_html && frm.fields_dict.history_html.$wrapper;
		if (!wrapper) return;
		if (frm.is_new()) {
			wrapper.empty();
			return;
		}
		frappe.call({ method: `${FEE_INVOICE_METHODS}.get_invoice_history`, args: { name: frm.doc.name } }).then(
			({ message }) => wrapper.html(school_fees.fee_invoice.history_html(frm, message || {}))
		);
	},

	history_html(frm, { payments = [], audit = [], late_fees = [], reminders = [] }) {
		const esc = frappe.utils.escape_html;
		const money = (value) => format_currency(value, frm.doc.currency);
		const table = (headers, rows) =>
			`<table class="table table-bordered table-condensed">
				<thead><tr>${headers.map((h) => `<th>${h}</th>`).join("")}</tr></thead>
				<tbody>${rows.join("")}</tbody>
			</table>`;

		const payment_rows = payments.map(
			(p) => `<tr class="${p.docstatus === 2 ? "text-muted" : ""}">
				<td>${frappe.datetime.str_to_user(p.posting_date)}</td>
				<td><a href="/app/payment-allocation/${encodeURIComponent(p.receipt)}">${esc(p.receipt)}</a></td>
				<td>${esc(__(p.allocation_type || ""))}</td>
				<td>${esc(p.mode_of_payment || "")}${p.reference_no ? " · " + esc(p.reference_no) : ""}</td>
				<td class="text-right">${money(p.allocated_amount)}${p.docstatus === 2 ? " (" + __("cancelled") + ")" : ""}</td>
			</tr>`
		);
		const late_fee_rows = late_fees.map(
			(l) => `<tr>
				<td>${frappe.datetime.str_to_user(l.posting_date)}</td>
				<td><a href="/app/fee-invoice/${encodeURIComponent(l.name)}">${esc(l.name)}</a></td>
				<td>${esc(__(l.status))}</td>
				<td class="text-right">${money(l.grand_total)}</td>
				<td class="text-right">${money(l.outstanding_amount)}</td>
			</tr>`
		);
		const reminder_rows = reminders.map(
			(r) => `<tr>
				<td>${r.sent_on ? frappe.datetime.str_to_user(r.sent_on) : ""}</td>
				<td>${esc(r.stage || __(r.reminder_type || ""))}</td>
				<td>${esc(__(r.channel || ""))}</td>
				<td>${esc(__(r.status || ""))}</td>
				<td>${esc(r.recipient || "")}</td>
				<td>${esc(r.reason || "")}</td>
			</tr>`
		);
		const audit_rows = audit.map(
			(a) => `<tr>
				<td>${frappe.datetime.str_to_user(a.timestamp)}</td>
				<td>${esc(__(a.action))}</td>
				<td>${esc(a.from_status ? __(a.from_status) : "")}${a.to_status ? " → " + esc(__(a.to_status)) : ""}</td>
				<td>${esc(a.user || "")}</td>
				<td>${esc(a.ip_address || "")}</td>
				<td>${esc(a.reason || "")}</td>
			</tr>`
		);

		let html = `<h5>${__("Payment History")}</h5>`;
		html += payments.length
			? table([__("Date"), __("Receipt"), __("Type"), __("Mode / Reference"), __("Allocated")], payment_rows)
			: `<p class="text-muted">${__("No payments allocated yet.")}</p>`;
		if (late_fees.length) {
			html += `<h5>${__("Late Fees")}</h5>`;
			html += table([__("Date"), __("Invoice"), __("Status"), __("Amount"), __("Outstanding")], late_fee_rows);
		}
		if (reminders.length) {
			html += `<h5>${__("Reminders")}</h5>`;
			html += table([__("When"), __("Stage"), __("Channel"), __("Status"), __("To"), __("Reason")], reminder_rows);
		}
		html += `<h5>${__("Audit Trail")}</h5>`;
		html += audit.length
			? table([__("When"), __("Action"), __("Status"), __("User"), __("IP Address"), __("Reason")], audit_rows)
			: `<p class="text-muted">${__("No audit entries.")}</p>`;
		return html;
	},
});
