// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// "Fee Receipts" on ERPNext's Bank Transaction list: the selected bank lines are previewed
// (school_fees.bank_receipts.preview: the student each pays for, the invoices it settles oldest due
// first, and every line that is not receipted with the reason), then receipted and reconciled on
// confirm (school_fees.bank_receipts.create_receipts). Loaded after ERPNext's own list settings
// (hooks: doctype_list_js), which it extends rather than replaces.

frappe.provide("school_fees.bank_transaction_list");

Object.assign(school_fees.bank_transaction_list, {
	setup(listview) {
		if (!frappe.model.can_create("Payment Allocation")) return;
		const action = () => school_fees.bank_transaction_list.preview(listview);
		listview.page.add_actions_menu_item(__("Make Fee Receipts"), action, false);
		listview.page.add_inner_button(__("Fee Receipts"), action);
	},

	preview(listview) {
		const names = listview.get_checked_items(true);
		if (!names.length) {
			frappe.msgprint({
				title: __("Fee Receipts"),
				message: __(
					"Select the bank lines (deposits not yet reconciled) to turn into fee receipts."
				),
			});
			return;
		}
		frappe
			.call({
				method: "school_fees.bank_receipts.preview",
				args: { bank_transactions: names },
				freeze: true,
				freeze_message: __("Matching {0} bank lines...", [names.length]),
			})
			.then(({ message }) =>
				school_fees.bank_transaction_list.show_preview(listview, message || {})
			);
	},

	show_preview(listview, { matched = [], unmatched = [], total = 0 }) {
		const me = school_fees.bank_transaction_list;
		const currency = (matched[0] || unmatched[0] || {}).currency;
		const dialog = new frappe.ui.Dialog({
			title: __("Fee Receipts from Bank Lines"),
			size: "extra-large",
			fields: [
				{
					fieldtype: "HTML",
					fieldname: "preview",
					options: me.matched_html(matched, total, currency) + me.unmatched_html(unmatched),
				},
			],
			primary_action_label: matched.length
				? __("Create {0} Receipts", [matched.length])
				: __("Close"),
			primary_action: () => {
				dialog.hide();
				if (!matched.length) return;
				me.create(
					listview,
					matched.map((row) => row.bank_transaction)
				);
			},
		});
		dialog.show();
	},

	create(listview, names) {
		frappe
			.call({
				method: "school_fees.bank_receipts.create_receipts",
				args: { bank_transactions: names },
				freeze: true,
				freeze_message: __("Creating and reconciling {0} receipts...", [names.length]),
			})
			.then(({ message }) => {
				listview.clear_checked_items();
				listview.refresh();
				school_fees.bank_transaction_list.show_result(message || {});
			});
	},

	show_result({ created = [], skipped = [], failed = {} }) {
		const me = school_fees.bank_transaction_list;
		const esc = frappe.utils.escape_html;
		const refused = Object.entries(failed);
		let html = "";
		if (created.length) {
			html += `<p><b>${__("Created and reconciled {0}", [created.length])}</b></p>
				<ul class="bank-receipts-created">${created
					.map(
						(row) =>
							`<li>${me.link("Bank Transaction", row.bank_transaction)} &rarr; ${me.link(
								"Payment Allocation",
								row.receipt
							)}: ${esc(row.student_name)} (${esc(row.admission_no)}), ${format_currency(
								row.amount,
								row.currency
							)}</li>`
					)
					.join("")}</ul>`;
		}
		if (skipped.length) {
			html += `<p><b>${__("Skipped {0}", [skipped.length])}</b></p>
				<ul class="bank-receipts-skipped">${skipped
					.map(
						(row) =>
							`<li>${me.link("Bank Transaction", row.bank_transaction)}: ${esc(row.message)}</li>`
					)
					.join("")}</ul>`;
		}
		if (refused.length) {
			html += `<p><b>${__("Failed {0}", [refused.length])}</b></p>
				<ul class="bank-receipts-failed">${refused
					.map(
						([name, message]) => `<li>${me.link("Bank Transaction", name)}: ${esc(message)}</li>`
					)
					.join("")}</ul>`;
		}
		frappe.msgprint({
			title: __("Fee Receipts"),
			indicator: refused.length ? (created.length ? "orange" : "red") : "green",
			message: html || __("Nothing to receipt."),
		});
	},

	matched_html(matched, total, currency) {
		const me = school_fees.bank_transaction_list;
		const esc = frappe.utils.escape_html;
		if (!matched.length) {
			return `<p class="text-muted">${__("None of the selected lines can be receipted.")}</p>`;
		}
		const rows = matched
			.map((row) => {
				const invoices = row.allocations
					.map(
						(part) =>
							`${me.link("Fee Invoice", part.fee_invoice)} ${esc(part.installment || "")} (${__(
								"due {0}",
								[frappe.datetime.str_to_user(part.due_date)]
							)}): ${format_currency(part.allocated_amount, row.currency)}`
					)
					.join("<br>");
				const credit = row.credit
					? `<br><span class="text-muted">${__("{0} stays as credit", [
							format_currency(row.credit, row.currency),
					  ])}</span>`
					: "";
				return `<tr>
					<td>${me.link("Bank Transaction", row.bank_transaction)}<br>
						<span class="text-muted">${frappe.datetime.str_to_user(row.date)}</span></td>
					<td>${esc(row.description || "")}<br>
						<span class="text-muted">${esc(row.reference_no || "")}</span></td>
					<td>${me.link("Student", row.student, row.student_name)}<br>
						<span class="text-muted">${esc(row.matched_by)}</span></td>
					<td class="text-right text-nowrap">${format_currency(row.amount, row.currency)}</td>
					<td>${invoices || `<span class="text-muted">${__("No open invoice")}</span>`}${credit}</td>
				</tr>`;
			})
			.join("");
		return `<p>${__(
			"Each line becomes a receipt of the student on the bank's ledger account, dated and referenced like the line, allocated to the student's invoices oldest due first, and is reconciled with the line."
		)}</p>
			<table class="table table-bordered bank-receipts-matched">
				<thead><tr>
					<th>${__("Bank Line")}</th><th>${__("Description / Reference")}</th>
					<th>${__("Student")}</th><th class="text-right">${__("Amount")}</th>
					<th>${__("Invoices")}</th>
				</tr></thead>
				<tbody>${rows}</tbody>
				<tfoot><tr><th colspan="3">${__("Total")}</th>
					<th class="text-right">${format_currency(total, currency)}</th><th></th></tr></tfoot>
			</table>`;
	},

	unmatched_html(unmatched) {
		const me = school_fees.bank_transaction_list;
		const esc = frappe.utils.escape_html;
		if (!unmatched.length) return "";
		const rows = unmatched
			.map(
				(row) => `<tr>
					<td>${me.link("Bank Transaction", row.bank_transaction)}</td>
					<td>${esc(row.description || "")}</td>
					<td class="text-right text-nowrap">${format_currency(row.amount, row.currency)}</td>
					<td>${esc(row.message)}</td>
				</tr>`
			)
			.join("");
		return `<p><b>${__("Not receipted ({0})", [unmatched.length])}</b></p>
			<table class="table table-bordered bank-receipts-unmatched">
				<thead><tr>
					<th>${__("Bank Line")}</th><th>${__("Description")}</th>
					<th class="text-right">${__("Amount")}</th><th>${__("Why")}</th>
				</tr></thead>
				<tbody>${rows}</tbody>
			</table>`;
	},

	link(doctype, name, label) {
		const esc = frappe.utils.escape_html;
		return `<a href="${frappe.utils.get_form_link(doctype, name)}" target="_blank">${esc(
			label || name
		)}</a>`;
	},
});

{
	const settings = (frappe.listview_settings["Bank Transaction"] =
		frappe.listview_settings["Bank Transaction"] || {});
	const erpnext_onload = settings.onload;
	settings.onload = function (listview) {
		if (erpnext_onload) erpnext_onload.call(this, listview);
		school_fees.bank_transaction_list.setup(listview);
	};
}
