// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.provide("school_fees.fee_invoice_list");

frappe.listview_settings["Fee Invoice"] = {
	add_fields: ["status", "outstanding_amount", "grand_total", "due_date", "currency"],
	has_indicator_for_draft: true,
	get_indicator(doc) {
		const colors = {
			Draft: "gray",
			Issued: "blue",
			"Partially Paid": "orange",
			Paid: "green",
			Overdue: "red",
			Cancelled: "darkgrey",
		};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},

	onload(listview) {
		school_fees.fee_invoice_list.setup_bulk_cancel(listview);
	},
};

Object.assign(school_fees.fee_invoice_list, {
	MIN_REASON: 10,

	// Frappe's own bulk Cancel sends no reason, so every invoice is refused and the promise rejects
	// uncaught: replace it with "Cancel with reason" (school_fees.bulk.cancel_invoices).
	setup_bulk_cancel(listview) {
		const standard_label = __("Cancel", null, "Button in list view actions menu");
		listview.page.actions
			.find("li > a.grey-link > span.menu-item-label")
			.filter((_, el) => $(el).text().trim() === standard_label)
			.closest("li")
			.remove();
		if (!frappe.user.has_role(["Fees Manager", "System Manager"])) return;
		listview.page.add_actions_menu_item(
			__("Cancel with reason"),
			() => school_fees.fee_invoice_list.cancel_dialog(listview),
			false
		);
	},

	cancel_dialog(listview) {
		const names = listview.get_checked_items(true);
		if (!names.length) {
			frappe.msgprint(__("Select the Fee Invoices to cancel."));
			return;
		}
		const min_length = school_fees.fee_invoice_list.MIN_REASON;
		school_fees.form.ask_reason(
			{
				title: __("Cancel {0} Fee Invoices", [names.length]),
				intro: __(
					"Each invoice is cancelled on its own: its ledger entries are reversed and it stays on record as Cancelled. An invoice with payments or credits allocated is refused and listed; the others are still cancelled."
				),
				description: __(
					"At least {0} characters; the same reason is kept on every invoice and in the audit log.",
					[min_length]
				),
				primary_label: __("Cancel Invoices"),
				min_length,
			},
			(reason) =>
				frappe
					.call({
						method: "school_fees.bulk.cancel_invoices",
						args: { names, reason },
						freeze: true,
						freeze_message: __("Cancelling {0} invoices...", [names.length]),
					})
					.then(({ message }) => {
						listview.clear_checked_items();
						listview.refresh();
						school_fees.fee_invoice_list.show_result(message || {});
					})
		);
	},

	show_result({ cancelled = [], failed = {}, queued, count }) {
		const esc = frappe.utils.escape_html;
		if (queued) {
			frappe.msgprint({
				title: __("Cancelling in the background"),
				indicator: "blue",
				message: __(
					"{0} invoices are being cancelled in the background. You will find the result in your notifications (the bell) when it is done.",
					[count]
				),
			});
			return;
		}
		const refused = Object.entries(failed);
		let html = "";
		if (cancelled.length) {
			html += `<p class="bulk-cancel-cancelled">${__("Cancelled {0}: {1}", [
				cancelled.length,
				cancelled.map(esc).join(", "),
			])}</p>`;
		}
		if (refused.length) {
			html += `<p><b>${__("Refused {0}", [refused.length])}</b></p><ul class="bulk-cancel-failed">${refused
				.map(([name, message]) => `<li><b>${esc(name)}</b>: ${esc(message)}</li>`)
				.join("")}</ul>`;
		}
		frappe.msgprint({
			title: __("Bulk Cancel"),
			indicator: refused.length ? (cancelled.length ? "orange" : "red") : "green",
			message: html,
		});
	},
});
