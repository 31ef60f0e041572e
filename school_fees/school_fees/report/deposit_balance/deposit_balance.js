// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// Deposit Balance (seed 000's Deposits tab). Actions on the ticked students: Add Deposit (one
// submitted Deposit each, through school_fees.payments.deposits.make_deposits; with no tick, pick
// the students first), Deposit History and Refund Deposit (one student). The helpers are
// school_fees.reports (school_fees.bundle.js).
(() => {
	const PROFILE = "school_fees.student_profile";
	const reports = school_fees.reports;

	frappe.query_reports["Deposit Balance"] = {
		filters: reports.student_filters(),

		get_datatable_options(options) {
			return Object.assign(options, { checkboxColumn: true });
		},

		onload(report) {
			if (frappe.model.can_create("Deposit")) {
				report.page
					.add_inner_button(__("Add Deposit"), () =>
						reports.with_students(report, (students) => deposit_dialog(report, students))
					)
					.addClass("btn-primary");
			}
			report.page.add_inner_button(__("Deposit History"), () => {
				const row = reports.one_student(report);
				if (row) show_history(row);
			});
			if (frappe.model.can_create("Payment Allocation")) {
				report.page.add_inner_button(__("Refund Deposit"), () => {
					const row = reports.one_student(report);
					if (row) refund(row);
				});
			}
		},
	};

	function deposit_dialog(report, students) {
		reports.bulk_dialog(students, {
			title: __("Add Deposit for {0} Students", [students.length]),
			amount_label: __("Deposit Amount"),
			fields: [
				{
					fieldname: "deposit_type",
					fieldtype: "Select",
					label: __("Deposit Type"),
					options: "Security\nRegistration\nAdvance Fee",
					default: "Security",
					reqd: 1,
				},
				{
					fieldname: "mode_of_payment",
					fieldtype: "Link",
					options: "Mode of Payment",
					label: __("Mode of Payment"),
					reqd: 1,
					get_query: () => ({ filters: { enabled: 1 } }),
				},
				reports.approved_by_field(),
				{ fieldname: "description", fieldtype: "Small Text", label: __("Description") },
			],
			method: "school_fees.payments.deposits.make_deposits",
			outcome_title: __("Deposits"),
			done: (message) => __("{0} deposits created.", [message.created.length]),
			after: () => report.refresh(),
		});
	}

	const MOVEMENTS = {
		issued: __("Issued"),
		transferred_to_credit: __("Transferred to Credit"),
		used: __("Used"),
		refunded: __("Refunded"),
	};

	function show_history(row) {
		frappe.xcall(`${PROFILE}.get_deposit_history`, { student: row.student }).then((history) =>
			reports.show_history(row, history, {
				title: __("Deposit History of {0}", [frappe.utils.escape_html(row.student_name)]),
				movements: MOVEMENTS,
				source: (move) => reports.doc_link("Deposit", move.deposit),
				source_label: __("Deposit"),
				balance_label: __("Deposit Balance"),
				balance: row.deposit_balance,
				empty: __("No deposit movements yet."),
			})
		);
	}

	function refund(row) {
		frappe.xcall(`${PROFILE}.get_open_sources`, { student: row.student }).then((sources) => {
			const deposits = sources.filter((source) => source.source_doctype === "Deposit");
			if (!deposits.length) {
				frappe.msgprint(
					__("{0} holds no deposit to refund.", [frappe.utils.escape_html(row.student_name)])
				);
				return;
			}
			reports.refund(row, deposits, { label: __("Deposit to refund"), title: __("Refund Deposit") });
		});
	}
})();
