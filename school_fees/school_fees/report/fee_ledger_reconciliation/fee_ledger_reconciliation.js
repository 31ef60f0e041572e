// Copyright (c) 2026, school_fees developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["Fee Ledger Reconciliation"] = {
	filters: [
		{
			fieldname: "company",
			label: __("School or Trust"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		{
			fieldname: "as_of_date",
			label: __("As Of Date"),
			fieldtype: "Date",
			description: __("Blank: every posting, future-dated ones too"),
		},
		{
			fieldname: "customer",
			label: __("Customer"),
			fieldtype: "Link",
			options: "Customer",
		},
		{
			fieldname: "differences_only",
			label: __("Only Customers with a Difference"),
			fieldtype: "Check",
			default: 0,
		},
	],
	initial_depth: 1,
	formatter: function (value, row, column, data, default_formatter) {
		// a customer row carries the balances, a voucher row only its own amount: no zeros elsewhere
		const voucher_row = Boolean(data && data.indent);
		if (data && column.fieldtype === "Currency" && voucher_row !== (column.fieldname === "explained_amount")) {
			return "";
		}
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "difference" && data && data.difference) {
			value = `<span class="text-danger font-weight-bold">${value}</span>`;
		}
		if (data && data.indent && column.fieldname === "explanation") {
			value = `<span class="text-muted">${value}</span>`;
		}
		return value;
	},
};
