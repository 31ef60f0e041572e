// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Fee Head", {
	setup(frm) {
		frm.set_query("income_account", "accounts", (doc, cdt, cdn) => {
			const row = locals[cdt][cdn];
			return {
				filters: { company: row.company, root_type: "Income", is_group: 0, disabled: 0 },
			};
		});
		frm.set_query("cost_center", "accounts", (doc, cdt, cdn) => {
			const row = locals[cdt][cdn];
			return { filters: { company: row.company, is_group: 0, disabled: 0 } };
		});
	},
});

frappe.ui.form.on("Fee Head Account", {
	company(frm, cdt, cdn) {
		// accounts of another company would be refused on save
		frappe.model.set_value(cdt, cdn, { income_account: "", cost_center: "" });
	},
});
