"""From fee structures to Fee Invoices, and what keeps them right afterwards.

- :mod:`~school_fees.invoicing.structures`: whether a structure can be billed and whether its dates
  are in order, with the messages every caller shows.
- :mod:`~school_fees.invoicing.builder`: `InvoiceBuilder` (a structure's installments, prorated and
  discounted, as unsaved Fee Invoices for any number of students) and `make_fee_invoices`.
- :mod:`~school_fees.invoicing.keys`: billing keys (one live invoice per student, structure and
  installment, guarded by a unique column) and inserting a generated invoice.
- :mod:`~school_fees.invoicing.student_sync`: a Student's changes brought into its Draft invoices.
- :mod:`~school_fees.invoicing.late_fees`: late-fee invoices charged on overdue invoices.
- :mod:`~school_fees.invoicing.jobs`: the daily jobs (issue due drafts, Overdue, late fees).
"""
