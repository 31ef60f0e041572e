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
