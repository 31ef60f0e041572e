"""The kinds of Payment Allocation and what each one moves.

- Receipt: cash in, settles invoices; a remainder stays as open credit on the receipt.
- Apply Credit: open credit (a Credit Note, a receipt's remainder, a deposit moved to credit, an
  ERPNext Payment Entry or Journal Entry advance) settles invoices.
- Apply Deposit: a held deposit settles invoices.
- Refund: open credit or a held deposit paid back in cash.
- Deposit to Credit: a held deposit becomes open credit.
"""

RECEIPT = "Receipt"
APPLY_CREDIT = "Apply Credit"
APPLY_DEPOSIT = "Apply Deposit"
REFUND = "Refund"
DEPOSIT_TO_CREDIT = "Deposit to Credit"

# Vouchers whose open receivable credit (a negative balance against themselves) can be applied
CREDIT_SOURCES = ("Credit Note", "Payment Allocation", "Payment Entry", "Journal Entry")
SOURCES_BY_TYPE = {
	RECEIPT: (),
	APPLY_CREDIT: CREDIT_SOURCES,
	APPLY_DEPOSIT: ("Deposit",),
	REFUND: (*CREDIT_SOURCES, "Deposit"),
	DEPOSIT_TO_CREDIT: ("Deposit",),
}
# Types whose rows name fee invoices; types that move cash; types leaving open credit on themselves
TYPES_WITH_INVOICES = (RECEIPT, APPLY_CREDIT, APPLY_DEPOSIT)
TYPES_WITH_CASH = (RECEIPT, REFUND)
TYPES_OPENING_CREDIT = (RECEIPT, DEPOSIT_TO_CREDIT)
# Types that take their amount from the user (the others total their allocation rows)
TYPES_WITH_AMOUNT = (RECEIPT, REFUND, DEPOSIT_TO_CREDIT)
