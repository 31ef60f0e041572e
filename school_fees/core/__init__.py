"""Business rules of school_fees in pure Python (no Frappe import; money is ``Decimal``).

Modules:

- :mod:`~school_fees.core.money` - conversion, rounding, and THE remainder rule (``split_by_weights``)
- :mod:`~school_fees.core.errors` - ``ScheduleError``, ``AllocationError``, ``DiscountError``, ...
- :mod:`~school_fees.core.installments` - installment percentages, amounts per fee head, periods
- :mod:`~school_fees.core.proration` - factors for mid-term joins (None / Remaining installments / Days)
- :mod:`~school_fees.core.discounts` - discounts stacked by priority, with snapshot lines
- :mod:`~school_fees.core.late_fees` - late-fee rules and the idempotent daily increment
- :mod:`~school_fees.core.allocation` - oldest-due-first allocation of receipts and credits
- :mod:`~school_fees.core.status` - Fee Invoice status and allowed transitions

Import the module you need, e.g. ``from school_fees.core import money``.
"""
