"""core.student_changes: what a Student save means for its Draft invoices."""

from school_fees.core.student_changes import student_change

GROUPS = {"G1": ("2026-04-01", "")}
FIELDS = {"class_section": "6-A", "grade": "6", "status": "Active"}


def test_a_new_student_bills_its_groups():
	change = student_change(None, GROUPS, None, FIELDS, None, ["Sibling"])
	assert change.relevant and change.groups_to_bill == {"G1"} and change.removed_groups == ()


def test_a_new_student_without_groups_changes_nothing():
	assert not student_change(None, {}, None, FIELDS).relevant


def test_nothing_relevant_changed():
	change = student_change(GROUPS, dict(GROUPS), FIELDS, dict(FIELDS), ["D"], ["D"])
	assert not change.relevant and not change.groups_to_bill


def test_groups_added_changed_and_removed():
	before = {"G1": ("2026-04-01", ""), "G2": ("", ""), "G3": ("", "")}
	after = {"G1": ("2026-05-01", ""), "G2": ("", ""), "G4": ("", "")}
	change = student_change(before, after, FIELDS, FIELDS)
	assert change.groups_to_bill == {"G1", "G4"}
	assert change.removed_groups == ("G3",)
	assert change.relevant


def test_a_class_change_or_new_discounts_rebuild_drafts_without_new_groups():
	moved = student_change(GROUPS, GROUPS, FIELDS, {**FIELDS, "class_section": "6-B"})
	assert moved.relevant and not moved.groups_to_bill
	discounted = student_change(GROUPS, GROUPS, FIELDS, FIELDS, [], ["Sibling"])
	assert discounted.relevant and not discounted.groups_to_bill


def test_empty_and_missing_values_are_the_same():
	assert not student_change(GROUPS, GROUPS, {"leaving_date": None}, {"leaving_date": ""}).relevant
