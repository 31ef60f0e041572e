// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Fee Group", {
	setup(frm) {
		frm.set_query("fee_structure", () => ({
			filters: { docstatus: 1, ...(frm.doc.company ? { company: frm.doc.company } : {}) },
		}));
	},

	async fee_structure(frm) {
		if (!frm.doc.fee_structure) return;
		const { message } = await frappe.db.get_value("Fee Structure", frm.doc.fee_structure, [
			"company",
			"academic_term",
		]);
		if (message) {
			frm.set_value({ company: message.company, academic_term: message.academic_term });
		}
	},
});
