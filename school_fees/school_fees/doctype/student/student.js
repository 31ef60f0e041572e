// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Student", {
	setup(frm) {
		frm.set_query("class_section", () => ({ filters: { company: frm.doc.company } }));
		frm.set_query("fee_group", "fee_groups", () => ({
			filters: { company: frm.doc.company, disabled: 0 },
		}));
		frm.set_query("fee_discount", "discounts", () => ({
			filters: { company: ["in", [frm.doc.company, ""]], disabled: 0 },
		}));
	},

	refresh(frm) {
		if (frm.is_new() && !frm.doc.customer) {
			frm.set_intro(
				__("A customer (billing account) is created on save. Siblings can pick an existing one."),
				"blue"
			);
		}
	},

	company(frm) {
		if (frm.doc.class_section) {
			frm.set_value("class_section", "");
		}
	},

	status(frm) {
		if (["Withdrawn", "Graduated"].includes(frm.doc.status) && !frm.doc.leaving_date) {
			frm.set_value("leaving_date", frappe.datetime.get_today());
		}
	},
});

// ---- Fee invoices (owner: fee-invoice engineer; keep this block when editing the file) ---------
// "Generate Fee Invoices": bills the student's fee groups (or one chosen structure / installment)
// through school_fees.invoicing.builder.make_fee_invoices; installments already billed are skipped.
frappe.ui.form.on("Student", {
	refresh(frm) {
		if (frm.is_new() || !frappe.model.can_create("Fee Invoice")) return;
		frm.add_custom_button(
			__("Generate Fee Invoices"),
			() => school_fees.student.generate_fee_invoices(frm),
			__("Fees")
		);
		frm.add_custom_button(
			__("Fee Invoices"),
			() => frappe.set_route("List", "Fee Invoice", { student: frm.doc.name }),
			__("Fees")
		);
	},
});

frappe.provide("school_fees.student");

school_fees.student.generate_fee_invoices = function (frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Generate Fee Invoices"),
		fields: [
			{
				fieldname: "fee_structure",
				fieldtype: "Link",
				options: "Fee Structure",
				label: __("Fee Structure"),
				description: __("Leave empty to bill every fee group of the student."),
				get_query: () => ({ filters: { company: frm.doc.company, docstatus: 1 } }),
			},
			{
				fieldname: "installment",
				fieldtype: "Data",
				label: __("Installment"),
				description: __("Leave empty for all installments."),
			},
			{
				fieldname: "submit",
				fieldtype: "Check",
				label: __("Issue now (submit)"),
				description: __("Otherwise the invoices stay Draft until their issue date."),
			},
		],
		primary_action_label: __("Generate"),
		primary_action(values) {
			const args = { student: frm.doc.name, submit: values.submit ? 1 : 0 };
			if (values.fee_structure) args.fee_structure = values.fee_structure;
			if (values.installment) args.installment = values.installment.trim();
			frappe
				.call({
					method: "school_fees.invoicing.builder.make_fee_invoices",
					args,
					freeze: true,
					freeze_message: __("Generating fee invoices..."),
				})
				.then(({ message }) => {
					dialog.hide();
					const names = message || [];
					if (names.length) {
						frappe.show_alert({
							message: __("{0} fee invoice(s) created", [names.length]),
							indicator: "green",
						});
						frappe.set_route("List", "Fee Invoice", { student: frm.doc.name });
					}
				});
		},
	});
	dialog.show();
};
// ---- end fee invoices ---------------------------------------------------------------------------

// ---- Billing profile (seed 000: "click on a particular student to get a detailed billing profile") --
// Invoiced, paid, balance, open credit and deposit held today, and a statement of every invoice and
// payment, from school_fees.student_profile.get_billing_profile (read from the ledger). Buttons make
// the voucher for this student: Record Payment, Add Credit, Refund Credit, Add Deposit, Create Invoice.
frappe.ui.form.on("Student", {
	refresh(frm) {
		if (frm.is_new()) return;
		school_fees.student.add_billing_buttons(frm);
		// only the answer to the latest refresh is drawn (the dashboard is cleared on each refresh)
		const asked = (frm.billing_profile_asked = (frm.billing_profile_asked || 0) + 1);
		frappe
			.xcall("school_fees.student_profile.get_billing_profile", { student: frm.doc.name })
			.then((profile) => {
				if (asked !== frm.billing_profile_asked) return;
				frm.billing_profile = profile;
				school_fees.student.render_billing_profile(frm, profile);
			});
	},
});

Object.assign(school_fees.student, {
	add_billing_buttons(frm) {
		const group = __("Fees");
		const add = (label, doctype, action) => {
			if (frappe.model.can_create(doctype)) frm.add_custom_button(label, action, group);
		};
		add(__("Record Payment"), "Payment Allocation", () =>
			school_fees.student.new_voucher(frm, "Payment Allocation", { allocation_type: "Receipt" })
		);
		add(__("Add Credit"), "Credit Note", () => school_fees.student.new_voucher(frm, "Credit Note"));
		if (school_fees.form.may_allocate("Refund")) {
			add(__("Refund Credit"), "Payment Allocation", () => school_fees.student.refund_credit(frm));
		}
		add(__("Add Deposit"), "Deposit", () => school_fees.student.new_voucher(frm, "Deposit"));
		if (!frm.is_new()) {
			frm.add_custom_button(__("Statement"), () => school_fees.student.statement(frm), group);
		}
		add(__("Create Invoice"), "Fee Invoice", () =>
			school_fees.student.new_voucher(frm, "Fee Invoice", {
				grade: frm.doc.grade,
				class_section: frm.doc.class_section,
				due_date: frappe.datetime.get_today(),
			})
		);
	},

	// A new voucher of this student, dated today (the form fills in the rest as usual)
	new_voucher(frm, doctype, values) {
		frappe.new_doc(doctype, {
			company: frm.doc.company,
			customer: frm.doc.customer,
			student: frm.doc.name,
			currency: (frm.billing_profile || {}).currency,
			posting_date: frappe.datetime.get_today(),
			...(values || {}),
		});
	},

	refund_credit(frm) {
		frappe
			.xcall("school_fees.student_profile.get_open_sources", { student: frm.doc.name })
			.then((sources) => {
				const credits = sources.filter((source) => source.source_doctype !== "Deposit");
				if (!credits.length) {
					frappe.msgprint(
						__("{0} has no open credit to refund.", [
							frappe.utils.escape_html(frm.doc.student_name),
						])
					);
					return;
				}
				const currency = (frm.billing_profile || {}).currency;
				const label = (source) =>
					`${source.source_name} (${format_currency(source.available, currency)})`;
				const refund = (source) =>
					school_fees.student.new_voucher(frm, "Payment Allocation", {
						allocation_type: "Refund",
						source_doctype: source.source_doctype,
						source_name: source.source_name,
						paid_amount: source.available,
					});
				if (credits.length === 1) {
					refund(credits[0]);
					return;
				}
				frappe.prompt(
					{
						fieldname: "source",
						fieldtype: "Select",
						label: __("Credit to refund"),
						options: credits.map(label),
						reqd: 1,
					},
					({ source }) => refund(credits.find((credit) => label(credit) === source)),
					__("Refund Credit")
				);
			});
	},

	render_billing_profile(frm, profile) {
		const money = (value) => format_currency(value, profile.currency);
		const figure = (label, value, color) => `
			<div class="col-sm" style="min-width: 140px">
				<div class="text-muted small">${label}</div>
				<div class="h5 ${color || ""}" style="margin-top: 4px">${money(value)}</div>
			</div>`;
		const figures = `<div class="row" style="margin-bottom: 12px">
			${figure(__("Invoiced"), profile.invoiced)}
			${figure(__("Paid"), profile.paid, "text-success")}
			${figure(__("Balance"), profile.outstanding, profile.outstanding > 0 ? "text-danger" : "")}
			${figure(__("Credit"), profile.open_credit, profile.open_credit > 0 ? "text-primary" : "")}
			${figure(__("Deposit"), profile.deposit_held, profile.deposit_held > 0 ? "text-primary" : "")}
		</div>`;
		frm.dashboard.add_section(
			figures + school_fees.student.statement_html(profile, money),
			__("Billing Profile")
		);
	},

	statement_html(profile, money) {
		const rows = profile.statement || [];
		if (!rows.length) return `<p class="text-muted">${__("No invoices or payments yet.")}</p>`;
		const amount = (value) => (value ? money(value) : "");
		const body = rows
			.map((row) => {
				const link = `<a href="/app/${frappe.router.slug(row.voucher_type)}/${encodeURIComponent(
					row.voucher
				)}">${frappe.utils.escape_html(row.voucher)}</a>`;
				return `<tr>
					<td class="text-nowrap">${frappe.datetime.str_to_user(row.date)}</td>
					<td class="text-nowrap">${link}</td>
					<td>${frappe.utils.escape_html(row.description || "")}</td>
					<td class="text-right text-nowrap">${amount(row.debit)}</td>
					<td class="text-right text-nowrap">${amount(row.credit)}</td>
					<td class="text-right text-nowrap">${money(row.balance)}</td>
					<td class="text-right text-nowrap">${amount(row.deposit)}</td>
					<td class="text-right text-nowrap">${money(row.deposit_balance)}</td>
				</tr>`;
			})
			.join("");
		return `<div style="max-height: 360px; overflow-y: auto">
			<table class="table table-bordered table-condensed table-sm" style="margin-bottom: 0">
				<thead><tr>
					<th>${__("Date")}</th><th>${__("Voucher")}</th><th>${__("Description")}</th>
					<th class="text-right">${__("Charged")}</th><th class="text-right">${__("Paid / Credited")}</th>
					<th class="text-right">${__("Balance")}</th>
					<th class="text-right">${__("Deposit")}</th><th class="text-right">${__("Deposit Held")}</th>
				</tr></thead>
				<tbody>${body}</tbody>
			</table>
		</div>
		<p class="text-muted small" style="margin-top: 6px">${__(
			"Balance is what the invoices still owe less open credit; a refund of credit shows as a charge."
		)}</p>`;
	},

	// Statement of account for a period: open the PDF, or email it to the guardian.
	statement(frm) {
		school_fees.form.ask_period(__("Statement of Account"), __("Download PDF"), (from_date, to_date) => {
			const args = new URLSearchParams({ student: frm.doc.name, from_date, to_date });
			window.open(`/api/method/school_fees.statements.download_statement?${args}`);
			if (frm.doc.guardian_email) {
				frappe.confirm(__("Also email it to {0}?", [frm.doc.guardian_email]), () =>
					frappe
						.call("school_fees.statements.email_statement", { student: frm.doc.name, from_date, to_date })
						.then(() => frappe.show_alert({ message: __("Statement emailed"), indicator: "green" }))
				);
			}
		});
	},
});

// ---- end billing profile ------------------------------------------------------------------------
