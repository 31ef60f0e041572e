// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.listview_settings["Payment Allocation"] = {
	add_fields: ["allocation_type", "remaining_amount", "unallocated_amount"],
	get_indicator(doc) {
		if (doc.docstatus === 2) return [__("Cancelled"), "red", "docstatus,=,2"];
		if (doc.docstatus === 0) return [__("Draft"), "gray", "docstatus,=,0"];
		if (doc.remaining_amount > 0) return [__("Credit Open"), "orange", "remaining_amount,>,0"];
		const colors = { Receipt: "green", Refund: "purple", "Apply Credit": "blue", "Apply Deposit": "blue", "Deposit to Credit": "cyan" };
		return [__(doc.allocation_type), colors[doc.allocation_type] || "blue", "allocation_type,=," + doc.allocation_type];
	},
};
