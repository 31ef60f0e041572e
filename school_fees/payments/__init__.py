"""Money in and out of a student's account, as Payment Allocations (core.payment_types).

- :mod:`~school_fees.payments.allocation`: the rules of one allocation: which invoices it may
  settle (read from the ledger once, under the lock on submit), which credit or deposit it may draw
  on and how much, and its GL rows.
- :mod:`~school_fees.payments.credit`: open credit: finding it, applying it automatically to new
  invoices, credit notes in bulk, and the desk's look-ups.
- :mod:`~school_fees.payments.deposits`: a deposit's account and its movements, deposits in bulk.
- :mod:`~school_fees.payments.bulk`: one submitted document per student, each on its savepoint.

The amounts a document may still give or receive are always read from the ledger
(ledger.balances), never from cached fields.
"""
