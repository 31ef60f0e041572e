// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.provide("school_fees.billing_run");

const BILLING_RUN_RUNNING = ["Queued", "Processing"];
const PREVIEW_ROWS = 500;

frappe.ui.form.on("Billing Run", {
	setup(frm) {
		frm.set_query("fee_structure", () => ({
			filters: {
				docstatus: 1,
				company: frm.doc.company || undefined,
				academic_term: frm.doc.academic_term || undefined,
			},
		}));
		frm.set_query("class_section", () => ({ filters: { company: frm.doc.company } }));
		frm.set_query("fee_group", () => ({
			filters: { company: frm.doc.company, fee_structure: frm.doc.fee_structure || undefined },
		}));
		for (const table of ["students", "exclusions"]) {
			frm.set_query("student", table, () => ({ filters: { company: frm.doc.company } }));
		}
	},

	onload(frm) {
		frappe.realtime.off("billing_run_progress");
		frappe.realtime.on("billing_run_progress", (data) => {
			if (!cur_frm || cur_frm.doctype !== "Billing Run" || cur_frm.doc.name !== data.name) return;
			school_fees.billing_run.show_progress(cur_frm, data);
			if (data.done) cur_frm.reload_doc();
		});
	},

	refresh(frm) {
		const running = BILLING_RUN_RUNNING.includes(frm.doc.status);
		school_fees.billing_run.lock_fields(frm);
		school_fees.billing_run.set_installment_options(frm);
		frm.get_field("preview_html").$wrapper.empty();

		if (!frm.is_new() && !running) {
			frm.add_custom_button(__("Preview"), () => school_fees.billing_run.preview(frm));
			frm.add_custom_button(
				frm.doc.status === "Draft" ? __("Confirm & Generate Invoices") : __("Run Again for Missing Students"),
				() => school_fees.billing_run.confirm(frm)
			);
			frm.change_custom_button_type(
				frm.doc.status === "Draft" ? __("Confirm & Generate Invoices") : __("Run Again for Missing Students"),
				null,
				"primary"
			);
		}
		if (frm.doc.created_count || (frm.doc.status !== "Draft" && !frm.is_new())) {
			frm.add_custom_button(__("View Invoices"), () =>
				frappe.set_route("List", "Fee Invoice", { billing_run: frm.doc.name })
			);
		}
		const notifiable = ["Completed", "Partially Completed"].includes(frm.doc.status);
		if (notifiable && frm.doc.created_count && frappe.model.can_email(null, frm)) {
			frm.add_custom_button(__("Notify Guardians"), () =>
				school_fees.billing_run.notify_guardians(frm)
			);
		}
		if (running) {
			school_fees.billing_run.show_progress(frm, {
				percent: frm.doc.status === "Queued" ? 0 : 50,
				status: frm.doc.status,
			});
		}
		if (frm.doc.status === "Partially Completed" || frm.doc.status === "Failed") {
			frm.set_intro(__("Some students could not be billed: see the Errors table."), "orange");
		}
	},

	company(frm) {
		frm.set_value("fee_structure", null);
	},

	academic_term(frm) {
		if (frm.doc.fee_structure) frm.set_value("fee_structure", null);
	},

	fee_structure(frm) {
		// a label of another structure means nothing for this one
		school_fees.billing_run.set_installment_options(frm, { clear_unknown: true });
	},
});

Object.assign(school_fees.billing_run, {
	// The Installment field offers the structure's installments (blank = all of them)
	set_installment_options(frm, { clear_unknown = false } = {}) {
		const field = frm.get_field("installment");
		const apply = (options) => {
			frm.set_df_property("installment", "options", options);
			field.set_data(options);
			const known = options.some((option) => option.value === frm.doc.installment);
			if (clear_unknown && frm.doc.installment && !known) frm.set_value("installment", null);
		};
		if (!frm.doc.fee_structure) {
			apply([]);
			return;
		}
		frappe
			.call({
				method: "school_fees.school_fees.doctype.billing_run.billing_run.get_installment_options",
				args: { fee_structure: frm.doc.fee_structure },
			})
			.then(({ message }) => apply(message || []));
	},

	// A run that is running or has invoices describes what it billed: only its reference stays editable
	lock_fields(frm) {
		const locked =
			!frm.is_new() && (BILLING_RUN_RUNNING.includes(frm.doc.status) || frm.doc.created_count > 0);
		const layout = ["Section Break", "Column Break", "Tab Break", "HTML", "Button"];
		for (const df of frm.meta.fields) {
			if (df.read_only || layout.includes(df.fieldtype) || df.fieldname === "reference") continue;
			frm.set_df_property(df.fieldname, "read_only", locked ? 1 : 0);
		}
	},

	preview(frm) {
		frm.call({
			method: "get_preview",
			doc: frm.doc,
			freeze: true,
			freeze_message: __("Working out who will be billed..."),
		}).then(({ message }) => {
			frm.get_field("preview_html").$wrapper.html(school_fees.billing_run.render_preview(frm, message));
			frm.scroll_to_field("preview_html");
		});
	},

	confirm(frm) {
		frappe.confirm(
			__("Create the invoices of Billing Run {0} now? Invoices cannot be deleted once issued.", [
				frm.doc.name.bold(),
			]),
			() =>
				frm
					.call({ method: "confirm", doc: frm.doc, freeze: true })
					.then(() => frm.reload_doc())
		);
	},

	show_progress(frm, data) {
		const message =
			data.total !== undefined
				? __("{0} of {1} students processed: {2} invoices created, {3} skipped, {4} failed", [
						data.processed || 0,
						data.total || 0,
						data.created || 0,
						data.skipped || 0,
						data.failed || 0,
				  ])
				: __(data.status || "");
		frm.dashboard.show_progress(__("Billing"), data.percent || 0, message);
		if (data.done) frm.dashboard.hide_progress(__("Billing"));
	},

	render_preview(frm, p) {
		const esc = frappe.utils.escape_html;
		// amounts are in the school's currency, not the user's default one
		const money = (v) => format_currency(v, p.currency);
		const link = (student, name) =>
			`<a href="/app/student/${encodeURIComponent(student)}">${esc(name || student)}</a>`;
		const table = (headers, rows) =>
			`<table class="table table-bordered table-condensed"><thead><tr>${headers
				.map((h) => `<th>${h}</th>`)
				.join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
		const more = (list) =>
			list.length > PREVIEW_ROWS
				? `<p class="text-muted">${__("... and {0} more", [list.length - PREVIEW_ROWS])}</p>`
				: "";
		let html = "";

		if (p.blocking.length) {
			html += `<div class="alert alert-danger"><b>${__("The run cannot start:")}</b><ul>${p.blocking
				.map((problem) => `<li>${problem}</li>`)
				.join("")}</ul></div>`;
		}
		const cards = [
			[__("Students in scope"), p.in_scope],
			[__("Students to bill"), p.student_count],
			[__("Invoices to create"), p.invoice_count],
			[__("Total"), money(p.total_amount)],
			[__("Skipped"), p.skipped_count || 0],
			[__("Cannot be billed"), p.failing_count || 0],
		];
		html += `<div class="row">${cards
			.map(
				([label, value]) =>
					`<div class="col-sm-2"><div class="text-muted small">${label}</div><h4>${value}</h4></div>`
			)
			.join("")}</div>`;
		const reasons = Object.entries(p.skipped_by_reason || {}).filter(([, n]) => n);
		if (reasons.length) {
			html += `<p>${__("Skipped")}: ${reasons.map(([r, n]) => `${__(r)}: <b>${n}</b>`).join(" · ")}</p>`;
		}
		if (p.single_path) {
			html += `<p class="text-muted">${__(
				"This site's ledger settings ({0}) make the run create invoices one by one: it will be slower.",
				[esc(p.single_path)]
			)}</p>`;
		}
		if (p.failing.length) {
			html += `<h5 class="text-warning">${__("Cannot be billed")}</h5>`;
			html += table(
				[__("Student"), __("Installment"), __("Problem")],
				p.failing
					.slice(0, PREVIEW_ROWS)
					.map(
						(r) =>
							`<tr><td>${link(r.student, r.student_name)}</td><td>${esc(r.installment)}</td><td>${
								r.error
							}</td></tr>`
					)
			);
			html += more(p.failing);
		}
		if (p.to_bill.length) {
			html += `<h5>${__("To be billed")}</h5>`;
			html += table(
				[__("Student"), __("Installments"), __("Amount")],
				p.to_bill.slice(0, PREVIEW_ROWS).map(
					(r) =>
						`<tr><td>${link(r.student, r.student_name)}</td><td>${r.installments
							.map(
								(i) =>
									`${esc(i.installment)}: ${money(i.amount)} <span class="text-muted">(${__(
										"due"
									)} ${frappe.datetime.str_to_user(i.due_date)})</span>`
							)
							.join("<br>")}</td><td class="text-right">${money(r.amount)}</td></tr>`
				)
			);
			html += more(p.to_bill);
		}
		if (p.skipped.length) {
			html += `<h5 class="text-muted">${__("Skipped")}</h5>`;
			html += table(
				[__("Student"), __("Installment"), __("Reason")],
				p.skipped
					.slice(0, PREVIEW_ROWS)
					.map(
						(r) =>
							`<tr><td>${link(r.student, r.student_name)}</td><td>${esc(r.installment)}</td><td>${__(
								r.reason
							)}</td></tr>`
					)
			);
			html += more(p.skipped);
		}
		return html;
	},
});

// "Notify Guardians": each family one message linking its new invoices (school_fees.reminders)
Object.assign(school_fees.billing_run, {
	notify_guardians(frm) {
		frappe.confirm(
			__(
				"Send each family billed by {0} one message (email, or SMS without an email address) listing its new invoices with a link to each? Families notified before are not written to again.",
				[frm.doc.name.bold()]
			),
			() =>
				frappe
					.call({
						method: "school_fees.reminders.notify_billing_run",
						args: { billing_run: frm.doc.name },
						freeze: true,
						freeze_message: __("Notifying guardians..."),
					})
					.then(({ message }) => school_fees.billing_run.show_notify_result(message || {}))
		);
	},

	show_notify_result({
		notified = [],
		invoices = 0,
		skipped = {},
		failed = {},
		unavailable = {},
		queued,
		count,
	}) {
		school_fees.form.show_send_result({
			title: __("Notify Guardians"),
			indicator: Object.keys(failed).length ? "orange" : "green",
			summary: `<p>${__("{0} families notified of {1} invoices.", [notified.length, invoices])}</p>`,
			failed,
			skipped,
			unavailable,
			queued,
			queued_title: __("Notifying in the background"),
			queued_message: __(
				"{0} families are being notified in the background. You will find the result in your notifications (the bell) when it is done.",
				[count]
			),
		});
	},
});
