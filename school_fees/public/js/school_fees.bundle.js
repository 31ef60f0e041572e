// Desk helpers shared by the School Fees form scripts (app_include_js in hooks.py).

frappe.provide("school_fees.form");

// The school the workspace shows, decided as on the server (school_fees.number_cards.users_school):
// the user's default Company, else the Company of their User Permission marked default, else the one
// Company their User Permissions name. The Fee Collections chart filters on it (its dynamic filter).
school_fees.users_school = function () {
	const default_company = frappe.defaults.get_user_default("Company");
	if (default_company) return default_company;
	const permissions = frappe.defaults.get_user_permissions().Company || [];
	const companies = new Set(permissions.map((row) => row.doc));
	const chosen = permissions.find((row) => row.is_default) || (companies.size === 1 ? permissions[0] : null);
	return chosen ? chosen.doc : undefined;
};

// Kinds of Payment Allocation that apply, move or pay out a family's credit, and the roles that make
// them (the server decides, payment_allocation.py `may_make`; this only keeps them off the desk).
const TYPES_RESHAPING_CREDIT = ["Apply Credit", "Refund", "Deposit to Credit"];
const CREDIT_ROLES = ["Fees Manager", "Accounts Manager", "System Manager"];

Object.assign(school_fees.form, {
	// Whether the user may make a Payment Allocation of this kind (a Fee Cashier: Receipt, Apply Deposit).
	may_allocate(allocation_type) {
		return !TYPES_RESHAPING_CREDIT.includes(allocation_type) || frappe.user.has_role(CREDIT_ROLES);
	},

	// The same, saying who may when the user may not.
	check_may_allocate(allocation_type) {
		if (school_fees.form.may_allocate(allocation_type)) return true;
		frappe.msgprint({
			title: __("Not Permitted"),
			indicator: "red",
			message: __("Only a {0} can make a {1}: it applies, moves or pays out a family's credit.", [
				frappe.utils.comma_or(CREDIT_ROLES.map((role) => __(role))),
				`<strong>${__(allocation_type)}</strong>`,
			]),
		});
		return false;
	},

	// Student picked on a payment document: its billing customer, and its school when none is set.
	set_customer_from_student(frm) {
		if (!frm.doc.student) return;
		frappe.db.get_value("Student", frm.doc.student, ["customer", "company"]).then(({ message }) => {
			if (message) frm.set_value({ customer: message.customer, company: frm.doc.company || message.company });
		});
	},

	// Mode of payment picked: its default cash/bank account in the school, through ERPNext's own
	// whitelisted look-up (the "Mode of Payment Account" child table cannot be read from a form).
	set_paid_to_from_mode_of_payment(frm) {
		if (!frm.doc.mode_of_payment || !frm.doc.company) return;
		frappe
			.call({
				method: "erpnext.accounts.doctype.sales_invoice.sales_invoice.get_bank_cash_account",
				args: { mode_of_payment: frm.doc.mode_of_payment, company: frm.doc.company },
			})
			.then(({ message }) => message && message.account && frm.set_value("paid_to", message.account));
	},

	// A new Payment Allocation drawing on this credit or deposit, dated today; a refund or a move to
	// credit starts with everything the source still holds.
	use_source(frm, allocation_type) {
		if (!school_fees.form.check_may_allocate(allocation_type)) return;
		const takes_amount = ["Refund", "Deposit to Credit"].includes(allocation_type);
		frappe.new_doc("Payment Allocation", {
			allocation_type,
			posting_date: frappe.datetime.get_today(),
			paid_amount: takes_amount ? frm.doc.remaining_amount : undefined,
			company: frm.doc.company,
			customer: frm.doc.customer,
			student: frm.doc.student,
			source_doctype: frm.doc.doctype,
			source_name: frm.doc.name,
		});
	},

	// A dialog asking for a reason of at least `min_length` characters (and, with `confirm_label`,
	// a tick); `on_reason(reason)` returns a promise, and the dialog closes when it resolves.
	ask_reason({ title, intro, description, confirm_label, primary_label, min_length = 10 }, on_reason) {
		const fields = [
			{ fieldtype: "HTML", options: `<p class="text-muted">${intro}</p>` },
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1, description },
		];
		if (confirm_label) fields.push({ fieldname: "confirm", fieldtype: "Check", label: confirm_label, reqd: 1 });
		const dialog = new frappe.ui.Dialog({
			title,
			fields,
			primary_action_label: primary_label,
			primary_action({ reason, confirm }) {
				reason = (reason || "").trim();
				if (confirm_label && !confirm) {
					frappe.msgprint(__("Tick the confirmation first."));
					return;
				}
				if (reason.length < min_length) {
					frappe.msgprint(__("Give a reason of at least {0} characters.", [min_length]));
					return;
				}
				on_reason(reason).then(() => dialog.hide());
			},
		});
		dialog.show();
		return dialog;
	},

	// Ask a period (default: last month) and call `on_period(from_date, to_date)`.
	ask_period(title, primary_label, on_period) {
		const last_month_end = frappe.datetime.add_days(frappe.datetime.month_start(), -1);
		const last_month_start = `${last_month_end.slice(0, 8)}01`; // dates are YYYY-MM-DD
		frappe.prompt(
			[
				{ fieldname: "from_date", fieldtype: "Date", label: __("From"), reqd: 1, default: last_month_start },
				{ fieldname: "to_date", fieldtype: "Date", label: __("To"), reqd: 1, default: last_month_end },
			],
			({ from_date, to_date }) => on_period(from_date, to_date),
			title,
			primary_label
		);
	},

	// What a send to guardians did (school_fees.reminders: Send reminder, Notify Guardians). A send left
	// to a background job says where its result will be; otherwise `summary`, then a list per outcome,
	// the empty ones left out: `sent` ([name, text] rows, under `sent_label`), and `failed`, `skipped`,
	// `unavailable` ({name: reason}) as the server returns them; `nothing_message` when all are empty.
	show_send_result({
		title,
		indicator,
		summary = "",
		sent_label,
		sent = [],
		failed = {},
		skipped = {},
		unavailable = {},
		nothing_message,
		queued,
		queued_title,
		queued_message,
	}) {
		if (queued) {
			frappe.msgprint({ title: queued_title, indicator: "blue", message: queued_message });
			return;
		}
		const esc = frappe.utils.escape_html;
		const list = (heading, entries) =>
			entries.length
				? `<p><b>${heading}</b></p><ul>${entries
						.map(([name, text]) => `<li><b>${esc(name)}</b>: ${esc(text)}</li>`)
						.join("")}</ul>`
				: "";
		const message =
			summary +
			list(sent_label, sent) +
			list(__("Not sent"), Object.entries(failed)) +
			list(__("Skipped"), Object.entries(skipped)) +
			list(__("Channels not set up"), Object.entries(unavailable));
		frappe.msgprint({ title, indicator, message: message || nothing_message });
	},
});


// Helpers shared by the School Fees query reports (each report's .js is loaded on its own; this
// bundle is already in the desk, so they call school_fees.reports).
frappe.provide("school_fees.reports");

Object.assign(school_fees.reports, {
	filter_value(fieldname) {
		return frappe.query_report.get_filter_value(fieldname);
	},

	// Links limited to the school picked in the report's `company` filter.
	of_company() {
		return { filters: { company: school_fees.reports.filter_value("company") } };
	},

	// The student scope filters (term, grade, section, fee group, student status); with
	// `section_of_grade` the Class Section choice is also limited to the picked grade.
	scope_filters({ section_of_grade = false } = {}) {
		const filter_value = school_fees.reports.filter_value;
		return [
			{
				fieldname: "academic_term",
				label: __("Academic Term"),
				fieldtype: "Link",
				options: "Academic Term",
			},
			{ fieldname: "grade", label: __("Grade"), fieldtype: "Link", options: "Grade" },
			{
				fieldname: "class_section",
				label: __("Class Section"),
				fieldtype: "Link",
				options: "Class Section",
				get_query: section_of_grade
					? () => ({
							filters: {
								company: filter_value("company"),
								...(filter_value("grade") ? { grade: filter_value("grade") } : {}),
							},
					  })
					: school_fees.reports.of_company,
			},
			{
				fieldname: "fee_group",
				label: __("Fee Group"),
				fieldtype: "Link",
				options: "Fee Group",
				get_query: school_fees.reports.of_company,
			},
			{
				fieldname: "student_status",
				label: __("Student Status"),
				fieldtype: "Select",
				options: ["", "Active", "Inactive", "Withdrawn", "Graduated"],
			},
		];
	},

	// The School filter every report starts with (the user's default company).
	company_filter() {
		return {
			fieldname: "company",
			label: __("School"),
			fieldtype: "Link",
			options: "Company",
			reqd: 1,
			default: frappe.defaults.get_user_default("Company"),
		};
	},

	// The filters of Student Balances, Credit Balance and Deposit Balance.
	student_filters(options) {
		return [
			school_fees.reports.company_filter(),
			{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date" },
			{
				fieldname: "to_date",
				label: __("To Date"),
				fieldtype: "Date",
				reqd: 1,
				default: frappe.datetime.get_today(),
			},
			...school_fees.reports.scope_filters(options),
			{
				fieldname: "student",
				label: __("Student"),
				fieldtype: "Link",
				options: "Student",
				get_query: school_fees.reports.of_company,
			},
		];
	},

	ticked(report) {
		return report.get_checked_items().filter((row) => row.student);
	},

	// The one ticked student's row, or null (after saying so).
	one_student(report) {
		const rows = school_fees.reports.ticked(report);
		if (rows.length !== 1) {
			frappe.msgprint(__("Tick one student."));
			return null;
		}
		return rows[0];
	},

	// `on_students(names)` with the ticked students, or with no tick those picked in a dialog
	// (Active students of the report's school).
	with_students(report, on_students) {
		const students = school_fees.reports.ticked(report).map((row) => row.student);
		if (students.length) {
			on_students(students);
			return;
		}
		new frappe.ui.form.MultiSelectDialog({
			doctype: "Student",
			target: null,
			setters: { grade: null, class_section: null },
			add_filters_group: 1,
			get_query: () => ({ filters: { company: report.get_filter_value("company"), status: "Active" } }),
			action(selections) {
				if (!selections.length) {
					frappe.msgprint(__("Select at least one student."));
					return;
				}
				this.dialog.hide();
				on_students(selections);
			},
		});
	},

	// A dialog for a bulk action on `students`: an amount (`amount_label`), a date, then `fields`;
	// Submit POSTs them to `method`, shows `outcome_title` with `done(message)` and the failures, then
	// calls `after()` (a report refreshes, a list opens).
	bulk_dialog(students, { title, amount_label, fields, method, outcome_title, done, after }) {
		const dialog = new frappe.ui.Dialog({
			title,
			fields: [
				{ fieldname: "amount", fieldtype: "Currency", label: amount_label, reqd: 1 },
				{
					fieldname: "posting_date",
					fieldtype: "Date",
					label: __("Date"),
					reqd: 1,
					default: frappe.datetime.get_today(),
				},
				...fields,
			],
			primary_action_label: __("Submit"),
			primary_action(values) {
				frappe
					.call({ method, type: "POST", args: { students, ...values }, freeze: true })
					.then(({ message }) => {
						dialog.hide();
						school_fees.reports.show_outcome(outcome_title, done(message), message.failed);
						after();
					});
			},
		});
		dialog.show();
	},

	// Credit Notes for many students at once (the Credit Balance report and the Credit Note list).
	add_credit(students, after) {
		school_fees.reports.bulk_dialog(students, {
			title: __("Add Credit to {0} Students", [students.length]),
			amount_label: __("Credit Amount"),
			fields: [
				{
					fieldname: "reason_type",
					fieldtype: "Select",
					label: __("Reason Type"),
					options: "Concession\nScholarship\nCancelled Class\nWrite-off",
					default: "Concession",
					reqd: 1,
				},
				school_fees.reports.approved_by_field(),
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
				{ fieldname: "notify_guardian", fieldtype: "Check", label: __("Email Guardian and Admin") },
			],
			method: "school_fees.payments.credit.make_credit_notes",
			outcome_title: __("Credit Notes"),
			done: (message) => __("{0} credit notes created.", [message.created.length]),
			after,
		});
	},

	// The Approved By field of the bulk dialogs: enabled system users.
	approved_by_field() {
		return {
			fieldname: "approved_by",
			fieldtype: "Link",
			options: "User",
			label: __("Approved By"),
			get_query: () => ({ filters: { user_type: "System User", enabled: 1 } }),
		};
	},

	// A bulk action's outcome: `done` and the students it failed for, with their errors.
	show_outcome(title, done, failed) {
		const rows = (failed || [])
			.map(
				(row) =>
					`<li>${frappe.utils.escape_html(row.student)}: ${frappe.utils.escape_html(
						row.error
					)}</li>`
			)
			.join("");
		frappe.msgprint({
			title,
			indicator: rows ? "orange" : "green",
			message: done + (rows ? `<p>${__("Not done:")}</p><ul>${rows}</ul>` : ""),
		});
	},

	doc_link(doctype, name) {
		return `<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(
			name
		)}">${frappe.utils.escape_html(name)}</a>`;
	},

	show_table({ title, html }) {
		const dialog = new frappe.ui.Dialog({
			title,
			size: "large",
			fields: [{ fieldname: "table", fieldtype: "HTML", options: html }],
		});
		dialog.show();
	},

	// A student's movements in a table: `movements` labels each movement, `source(move)` links the
	// credit or deposit moved, `source_label` heads that column, `balance` is the row's balance.
	show_history(row, history, { title, movements, source, source_label, balance_label, balance, empty }) {
		const link = school_fees.reports.doc_link;
		const body = history
			.map(
				(move) => `<tr>
					<td>${frappe.datetime.str_to_user(move.posting_date)}</td>
					<td>${movements[move.movement] || move.movement}</td>
					<td>${link(move.voucher_type, move.voucher_no)}</td>
					<td>${source(move)}</td>
					<td class="text-right">${format_currency(move.amount, row.currency)}</td>
				</tr>`
			)
			.join("");
		school_fees.reports.show_table({
			title,
			html: history.length
				? `<table class="table table-bordered table-condensed">
					<thead><tr><th>${__("Date")}</th><th>${__("Movement")}</th><th>${__("Voucher")}</th>
					<th>${source_label}</th><th class="text-right">${__("Amount")}</th></tr></thead>
					<tbody>${body}</tbody>
					<tfoot><tr><th colspan="4">${balance_label}</th>
					<th class="text-right">${format_currency(balance, row.currency)}</th></tr></tfoot>
				</table>`
				: empty,
		});
	},

	// A new Refund Payment Allocation for the student of `row`, from one of `sources` (open credit
	// or deposits); with several, ask which (`label` heads the prompt, `title` titles it).
	refund(row, sources, { label, title }) {
		if (!school_fees.form.check_may_allocate("Refund")) return;
		const open_refund = (source) =>
			frappe.db.get_value("Student", row.student, ["company", "customer"]).then(({ message }) =>
				frappe.new_doc("Payment Allocation", {
					allocation_type: "Refund",
					posting_date: frappe.datetime.get_today(),
					company: message.company,
					customer: message.customer,
					student: row.student,
					source_doctype: source.source_doctype,
					source_name: source.source_name,
					paid_amount: source.available,
				})
			);
		if (sources.length === 1) {
			open_refund(sources[0]);
			return;
		}
		const source_label = (source) =>
			`${source.source_name} (${format_currency(source.available, row.currency)})`;
		frappe.prompt(
			{
				fieldname: "source",
				fieldtype: "Select",
				label,
				options: sources.map(source_label),
				reqd: 1,
			},
			({ source }) => open_refund(sources.find((each) => source_label(each) === source)),
			title
		);
	},
});
