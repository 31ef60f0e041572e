"""Fee Audit Log rows written before the log carried a school get the school of their document:
the document's ``company``, or, for a deleted document (a deleted draft invoice keeps its "Deleted"
row), the company kept in Frappe's Deleted Document."""

import frappe

from school_fees.audit import AUDIT_LOG, audited_doctypes_with_school


def execute():
	for doctype in audited_doctypes_with_school():
		frappe.db.sql(
			f"""UPDATE `tab{AUDIT_LOG}` log
			JOIN `tab{doctype}` document ON document.name = log.reference_name
			SET log.company = document.company
			WHERE log.reference_doctype = %s AND log.company IS NULL""",
			doctype,
		)
		frappe.db.sql(
			f"""UPDATE `tab{AUDIT_LOG}` log
			JOIN `tabDeleted Document` deleted
				ON deleted.deleted_doctype = log.reference_doctype AND deleted.deleted_name = log.reference_name
			SET log.company = JSON_VALUE(deleted.data, '$.company')
			WHERE log.reference_doctype = %s AND log.company IS NULL""",
			doctype,
		)
