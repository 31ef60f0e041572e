// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// Credit Balance (seed 000's Credit Balance tab). Actions on the ticked students: Add Credit (one
// submitted Credit Note each, through school_fees.payments.credit.make_credit_notes; with no tick,
// pick the students first), Credit History and Refund Credit (one student). The helpers are
// school_fees.reports (school_fees.bundle.js).
(() => {
	const PROFILE = "school_fees.student_profile";
	const reports = school_fees.reports;

	frappe.query_reports["Credit Balance"] = {
		filters: reports.student_filters(),

		get_datatable_options(options) {
			return Object.assign(options, { checkboxColumn: true });
		},

		onload(report) {
			if (frappe.model.can_create("Credit Note")) {
				report.page
					.add_inner_button(__("Add Credit"), () =>
						reports.with_students(report, (students) => reports.add_credit(students, () => report.refresh()))
					)
					.addClass("btn-primary");
			}
			report.page.add_inner_button(__("Credit History"), () => {
				const row = reports.one_student(report);
				if (row) show_history(row);
			});
			if (frappe.model.can_create("Payment Allocation")) {
				report.page.add_inner_button(__("Refund Credit"), () => {
					const row = reports.one_student(report);
					if (row) refund(row);
				});
			}
		},
	};

	const MOVEMENTS = {
		issued: __("Issued"),
		transferred_from_deposit: __("Transferred from Deposit"),
		used: __("Used"),
		refunded: __("Refunded"),
	};

	function show_history(row) {
		frappe.xcall(`${PROFILE}.get_credit_history`, { student: row.student }).then((history) =>
			reports.show_history(row, history, {
				title: __("Credit History of {0}", [frappe.utils.escape_html(row.student_name)]),
				movements: MOVEMENTS,
				source: (move) => reports.doc_link(move.source_doctype, move.source_name),
				source_label: __("Credit"),
				balance_label: __("Credit Balance"),
				balance: row.credit_balance,
				empty: __("No credit movements yet."),
			})
		);
	}

	function refund(row) {
		frappe.xcall(`${PROFILE}.get_open_sources`, { student: row.student }).then((sources) => {
			const credits = sources.filter((source) => source.source_doctype !== "Deposit");
			if (!credits.length) {
				frappe.msgprint(
					__("{0} has no open credit to refund.", [frappe.utils.escape_html(row.student_name)])
				);
				return;
			}
			reports.refund(row, credits, { label: __("Credit to refund"), title: __("Refund Credit") });
		});
	}
})();
