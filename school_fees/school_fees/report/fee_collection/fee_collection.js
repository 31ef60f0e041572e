// Copyright (c) 2026, school_fees contributors
// For license information, please see license.txt

frappe.query_reports["Fee Collection"] = {
	filters: [
		school_fees.reports.company_filter(),
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "mode_of_payment",
			label: __("Mode of Payment"),
			fieldtype: "Link",
			options: "Mode of Payment",
		},
		{ fieldname: "cashier", label: __("Cashier"), fieldtype: "Link", options: "User" },
		{
			fieldname: "class_section",
			label: __("Class Section"),
			fieldtype: "Link",
			options: "Class Section",
			get_query: () => ({ filters: { company: frappe.query_report.get_filter_value("company") } }),
		},
	],

	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "amount" && data && data.amount < 0) {
			value = `<span class="text-danger">${value}</span>`;
		}
		return value;
	},
};
