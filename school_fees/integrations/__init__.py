"""Where School Fees meets ERPNext's own accounting tools.

- :mod:`~school_fees.integrations.advances`: guards that keep ERPNext's Payment Reconciliation and
  advance allocation from re-using what the app applied from a Payment Entry or Journal Entry.
- :mod:`~school_fees.integrations.bank_reconciliation`: receipts, refunds and deposits in ERPNext's
  Bank Reconciliation Tool.
- :mod:`~school_fees.integrations.bank_receipts`: a Bank Transaction reconciled with the receipt made
  from it (ERPNext's own reconcile_vouchers).
"""
