// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// "Invite Guardian" on the Student (parent portal): school_fees.portal.invite_guardian creates a
// Website User from the guardian's email, lists it in the Portal Users of the student's customer and
// queues the welcome mail; the guardian then sees the family's fees at /fees. Loaded through hooks
// (doctype_js) next to the Student form's own student.js, which it leaves alone. The server checks
// the role (Fees Manager or System Manager) again.

frappe.provide("school_fees.student_portal");

frappe.ui.form.on("Student", {
	refresh(frm) {
		if (frm.is_new() || !frappe.user.has_role(["Fees Manager", "System Manager"])) return;
		frm.add_custom_button(
			__("Invite Guardian"),
			() => school_fees.student_portal.invite_guardian(frm),
			__("Fees")
		);
	},
});

Object.assign(school_fees.student_portal, {
	invite_guardian(frm) {
		const email = (frm.doc.guardian_email || "").trim();
		if (!email) {
			frappe.msgprint({
				title: __("Invite Guardian"),
				indicator: "orange",
				message: __("Give the guardian's email address first, then save the student."),
			});
			return;
		}
		if (frm.is_dirty()) {
			frappe.msgprint(__("Save the student first."));
			return;
		}
		frappe.confirm(
			__(
				"Give {0} access to the parent portal? They are added to the Portal Users of {1} and, unless they have logged in before, emailed a link to set their password.",
				[
					`<b>${frappe.utils.escape_html(email)}</b>`,
					frappe.utils.escape_html(frm.doc.customer || ""),
				]
			),
			() =>
				frappe
					.call({
						method: "school_fees.portal.invite_guardian",
						args: { student: frm.doc.name },
						freeze: true,
						freeze_message: __("Inviting {0}...", [frappe.utils.escape_html(email)]),
					})
					.then(({ message }) =>
						school_fees.student_portal.show_result(frm, message || {})
					)
		);
	},

	show_result(frm, result) {
		frappe.msgprint({
			title: __("Guardian Invited"),
			indicator: result.mail === "queued" ? "green" : "orange",
			message: frappe.utils.escape_html(result.message || ""),
		});
	},
});
