"""Billing Runs: bill one Fee Structure (one installment, or all) to a scope of students.

For every student and installment a run either creates a Fee Invoice or records why not:
skipped (not an error: excluded by hand, inactive, already invoiced, left before the installment,
nothing to bill) or failed (an error row on the run: the student cannot be billed as things stand).
One failure never stops or undoes the others.

- :mod:`~school_fees.billing.plan`: who a run covers, and what it does for each student.
- :mod:`~school_fees.billing.preflight`: problems that block the whole run, checked by the preview,
  by confirm and again by the job, once per batch.
- :mod:`~school_fees.billing.preview`: what a run would do; nothing is written.
- :mod:`~school_fees.billing.job`: confirm -> the background job, in batches with progress.
- :mod:`~school_fees.billing.writer`: the bulk writer, the rows `insert()` + `submit()` would write,
  one INSERT per table per batch.

Two runs billing the same students at once cannot bill anybody twice: the billing key is a unique
column; a batch that hits it is rolled back and written again without the keys taken meanwhile.
"""
