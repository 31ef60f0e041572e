"""Exceptions raised by the pure business rules in :mod:`school_fees.core`.

They subclass :class:`ValueError` so callers without a site (unit tests, scripts) can catch them
plainly; controllers translate them into ``frappe.ValidationError`` subclasses with ``frappe.throw``.
"""


class ScheduleError(ValueError):
	"""An installment schedule (percentages, overrides, dates) is inconsistent."""


class AllocationError(ValueError):
	"""A payment or credit allocation is impossible or was edited into an invalid state."""


class DiscountError(ValueError):
	"""A discount rule has an invalid type or value."""


class ProrationError(ValueError):
	"""An unknown proration method was requested."""


class LateFeeError(ValueError):
	"""A late-fee rule has an invalid type, frequency or value."""
