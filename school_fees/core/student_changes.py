"""What a change to a Student means for its unissued (Draft) invoices.

A fee group added, or its dates changed, creates that group's drafts; a group removed, or a change
of class, status, dates, billing customer or discounts, makes the existing drafts stale (they are
rebuilt or deleted). Issued invoices are never touched by any of this.
"""

from dataclasses import dataclass, field

# Student fields whose change makes the amounts or details of its unissued invoices stale
RECALCULATING_FIELDS = (
	"class_section",
	"grade",
	"status",
	"leaving_date",
	"joining_date",
	"customer",
)


@dataclass(frozen=True)
class StudentChange:
	groups_to_bill: frozenset = field(default_factory=frozenset)
	removed_groups: tuple = ()
	relevant: bool = False


def student_change(
	before_groups: dict[str, tuple] | None,
	after_groups: dict[str, tuple],
	before_fields: dict | None = None,
	after_fields: dict | None = None,
	before_discounts: list[str] | None = None,
	after_discounts: list[str] | None = None,
) -> StudentChange:
	"""Compare a student before and after a save.

	Groups are {fee_group: (from_date, to_date)}; fields are {fieldname: value} of
	RECALCULATING_FIELDS; discounts the ordered list of fee discounts. `before_groups` None means
	the student is new (nothing to compare: only its groups count)."""
	is_new = before_groups is None
	old_groups = before_groups or {}
	added = [g for g in after_groups if g not in old_groups]
	changed = [g for g in after_groups if g in old_groups and old_groups[g] != after_groups[g]]
	removed = tuple(g for g in old_groups if g not in after_groups)
	fields_changed = not is_new and any(
		str((before_fields or {}).get(f) or "") != str((after_fields or {}).get(f) or "")
		for f in RECALCULATING_FIELDS
	)
	discounts_changed = not is_new and list(before_discounts or []) != list(after_discounts or [])
	return StudentChange(
		groups_to_bill=frozenset(added + changed),
		removed_groups=removed,
		relevant=bool(added or changed or removed or fields_changed or discounts_changed),
	)
