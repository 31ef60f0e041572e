// Copyright (c) 2026, school_fees contributors
// For license information, please see license.txt

frappe.query_reports["Fee Audit Trail"] = {
	filters: [
		school_fees.reports.company_filter(),
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -1),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
		},
		{
			fieldname: "reference_doctype",
			label: __("Document Type"),
			fieldtype: "Link",
			options: "DocType",
			get_query: () => ({ filters: { module: "School Fees", istable: 0, issingle: 0 } }),
			on_change: () => {
				frappe.query_report.set_filter_value("reference_name", "");
			},
		},
		{
			fieldname: "reference_name",
			label: __("Document"),
			fieldtype: "Dynamic Link",
			get_options: () => frappe.query_report.get_filter_value("reference_doctype"),
		},
		{ fieldname: "user", label: __("User"), fieldtype: "Link", options: "User" },
		{
			fieldname: "action",
			label: __("Action"),
			fieldtype: "Autocomplete",
			// the actions the app records; any other action can be typed
			options: [
				"Created",
				"Issued",
				"Submitted",
				"Status Change",
				"Recalculated",
				"Late Fee",
				"Cancelled",
				"Deleted",
				"Exported",
			],
			ignore_validation: 1,
		},
	],

	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "action" && data && ["Cancelled", "Deleted"].includes(data.action)) {
			value = `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
