// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.listview_settings["Deposit"] = {
	add_fields: ["remaining_amount", "amount"],
	get_indicator(doc) {
		if (doc.docstatus === 2) return [__("Cancelled"), "red", "docstatus,=,2"];
		if (doc.docstatus === 0) return [__("Draft"), "gray", "docstatus,=,0"];
		if (doc.remaining_amount > 0) return [__("Held"), "blue", "remaining_amount,>,0"];
		return [__("Settled"), "green", "remaining_amount,=,0"];
	},
};
