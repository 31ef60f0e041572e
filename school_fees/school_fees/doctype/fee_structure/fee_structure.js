// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Fee Structure", {
	refresh(frm) {
		if (frm.doc.docstatus === 0) {
			frm.trigger("show_percentage_total");
		}
	},

	show_percentage_total(frm) {
		// percentages in hundredths, to compare exactly like the server does
		const total = (frm.doc.installments || []).reduce(
			(sum, row) => sum + Math.round(flt(row.percentage) * 100),
			0
		);
		frm.dashboard.clear_headline();
		if ((frm.doc.installments || []).length && total !== 10000) {
			frm.dashboard.set_headline(
				__("Installment percentages add up to {0}%; they must add up to 100%.", [total / 100]),
				"orange"
			);
		}
	},

	calculate_total(frm) {
		const total = (frm.doc.components || []).reduce((sum, row) => sum + flt(row.amount), 0);
		frm.set_value("total_amount", flt(total, precision("total_amount")));
	},
});

frappe.ui.form.on("Fee Structure Component", {
	amount: (frm) => frm.trigger("calculate_total"),
	components_remove: (frm) => frm.trigger("calculate_total"),
});

frappe.ui.form.on("Fee Structure Installment", {
	percentage: (frm) => frm.trigger("show_percentage_total"),
	installments_remove: (frm) => frm.trigger("show_percentage_total"),
});
