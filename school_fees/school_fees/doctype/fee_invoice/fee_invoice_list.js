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
		school_fees.fee_invoice_list.setup_bulk_export(listview);
		school_fees.fee_invoice_list.setup_send_reminder(listview);
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

// "Export PDF": one file, a register of the selection then every invoice
// (school_fees.bulk.export_invoices_pdf; above 200 invoices a background job whose link arrives in the bell)
Object.assign(school_fees.fee_invoice_list, {
	setup_bulk_export(listview) {
		if (!frappe.model.can_print("Fee Invoice")) return;
		listview.page.add_actions_menu_item(
			__("Export PDF"),
			() => school_fees.fee_invoice_list.export_dialog(listview),
			false
		);
	},

	export_dialog(listview) {
		const names = listview.get_checked_items(true);
		if (!names.length) {
			frappe.msgprint(__("Select the Fee Invoices to export."));
			return;
		}
		const dialog = new frappe.ui.Dialog({
			title: __("Export {0} Fee Invoices to PDF", [names.length]),
			fields: [
				{
					fieldtype: "HTML",
					fieldname: "intro",
					options: `<p class="text-muted">${__(
						"One PDF file: a register of the selection (count, billed, collected and outstanding per status) on the first page, then every invoice. Above 200 invoices the file is prepared in the background and its link arrives in your notifications (the bell)."
					)}</p>`,
				},
				{
					fieldtype: "Select",
					fieldname: "print_format",
					label: __("Print Format"),
					options: frappe.meta.get_print_formats("Fee Invoice"),
					default: frappe.get_meta("Fee Invoice").default_print_format,
				},
			],
			primary_action_label: __("Export PDF"),
			primary_action: ({ print_format }) => {
				dialog.hide();
				frappe
					.call({
						method: "school_fees.bulk.export_invoices_pdf",
						args: { names, print_format },
						freeze: true,
						freeze_message: __("Preparing the PDF of {0} invoices...", [names.length]),
					})
					.then(({ message }) => school_fees.fee_invoice_list.show_export(message || {}));
			},
		});
		dialog.show();
	},

	show_export({ file_url, queued, count }) {
		if (queued) {
			frappe.msgprint({
				title: __("Exporting in the background"),
				indicator: "blue",
				message: __(
					"The PDF of {0} invoices is being prepared in the background. Its link will be in your notifications (the bell) when it is ready.",
					[count]
				),
			});
			return;
		}
		if (!file_url) return;
		const href = encodeURI(file_url);
		const label = __("Open the PDF");
		frappe.msgprint({
			title: __("PDF ready"),
			indicator: "green",
			message: `<p><a class="bulk-export-link" href="${href}" target="_blank" rel="noopener">${label}</a></p>`,
		});
	},
});

// "Send reminder": the guardians of the selected invoices now (school_fees.reminders.send_reminders)
Object.assign(school_fees.fee_invoice_list, {
	setup_send_reminder(listview) {
		if (!frappe.model.can_email("Fee Invoice")) return;
		listview.page.add_actions_menu_item(
			__("Send reminder"),
			() => school_fees.fee_invoice_list.send_reminder(listview),
			false
		);
	},

	send_reminder(listview) {
		const names = listview.get_checked_items(true);
		if (!names.length) {
			frappe.msgprint(__("Select the Fee Invoices to remind."));
			return;
		}
		frappe.confirm(
			__(
				"Send a reminder now to the guardians of {0} invoices, by email (invoice PDF attached) and SMS as the school's reminder stages use them? Draft, paid and cancelled invoices are left out.",
				[names.length]
			),
			() =>
				frappe
					.call({
						method: "school_fees.reminders.send_reminders",
						args: { names },
						freeze: true,
						freeze_message: __("Sending reminders..."),
					})
					.then(({ message }) => {
						listview.clear_checked_items();
						school_fees.fee_invoice_list.show_reminder_result(message || {});
					})
		);
	},

	show_reminder_result({ sent = {}, skipped = {}, failed = {}, unavailable = {}, queued, count }) {
		const sent_rows = Object.entries(sent).map(([name, channels]) => [name, channels.join(", ")]);
		const any_failed = Object.keys(failed).length > 0;
		school_fees.form.show_send_result({
			title: __("Reminders"),
			indicator: any_failed ? (sent_rows.length ? "orange" : "red") : "green",
			sent_label: __("Sent {0}", [sent_rows.length]),
			sent: sent_rows,
			failed,
			skipped,
			unavailable,
			nothing_message: __("Nothing to send."),
			queued,
			queued_title: __("Sending in the background"),
			queued_message: __(
				"Reminders for {0} invoices are being sent in the background. You will find the result in your notifications (the bell) when it is done.",
				[count]
			),
		});
	},
});
