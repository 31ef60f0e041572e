"""A Class Teacher sees the students and fee invoices of their own section only, in the desk."""


def test_class_teacher_sees_only_their_section(desk, ui_data, db, shot):
	teacher = desk(ui_data.teacher)

	teacher.open_list("Fee Invoice")
	own_invoices = sorted([ui_data.old_invoice, ui_data.new_invoice])
	assert teacher.wait_for_list(own_invoices) == own_invoices
	assert teacher.page.locator(".list-row-container .list-row-checkbox").count() == 2
	shot(teacher, "1-invoices")

	teacher.open_list("Student")
	assert teacher.wait_for_list([ui_data.payer]) == [ui_data.payer]
	shot(teacher, "2-students")

	teacher.open_form("Fee Invoice", ui_data.old_invoice)
	assert teacher.value("student") == ui_data.payer
	teacher.assert_clean("own section")

	# the server agrees: nothing of the other section is readable by the teacher
	assert db.has_permission(ui_data.teacher, "Fee Invoice", "read", ui_data.old_invoice)
	assert not db.has_permission(ui_data.teacher, "Fee Invoice", "read", ui_data.form_cancel)
	assert not db.has_permission(ui_data.teacher, "Student", "read", ui_data.other_student)
