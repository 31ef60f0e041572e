"""The only code of school_fees that talks to ERPNext accounting.

- :mod:`~school_fees.ledger.posting`: GL (and through ERPNext, Payment Ledger) rows of every
  voucher, built with one builder (`VoucherEntries`), posted and reversed with ERPNext's own
  `make_gl_entries` / `make_reverse_gl_entries`; the same rows for many vouchers at once (bulk
  billing).
- :mod:`~school_fees.ledger.balances`: every read of GL Entry and Payment Ledger Entry: invoice
  outstanding, open credit, deposits held, what settled an invoice, as-of balances of a student.
- :mod:`~school_fees.ledger.writeback`: the cached amounts of the app's documents
  (`outstanding_amount`, `paid_amount`, `status`, `remaining_amount`) written back from the ledger.
- :mod:`~school_fees.ledger.checks`: whether the books take entries on a date and on a set of
  accounts and customers, asked of ERPNext's own validators where it has them.
- Readers for one screen each, on top of balances: :mod:`~school_fees.ledger.aging` (what each
  invoice owed on a date), :mod:`~school_fees.ledger.statements` (a student's movements with a
  running balance), :mod:`~school_fees.ledger.reconciliation` (fee documents against GL, per school
  and customer, and the per-school totals of a trust).

Nothing outside this package and :mod:`school_fees.integrations` imports `erpnext.accounts`.
"""
