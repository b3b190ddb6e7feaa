"""Invoice totals, VAT and credit notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from libs.db import Session
from libs.log import get_logger

from .models import Customer, InvoiceRow
from .tax import vat_rate_for

log = get_logger(__name__)
CENT = Decimal("0.01")


@dataclass
class Line:
    description: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")

    @property
    def net(self) -> Decimal:
        return self.quantity * self.unit_price * (1 - self.discount)


@dataclass
class Invoice:
    customer: Customer
    currency: str
    lines: list[Line] = field(default_factory=list)
    credit_note: bool = False

    def subtotal(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal("0"))

    def vat(self) -> Decimal:
        if self.customer.reverse_charge:
            return Decimal("0")
        rate = vat_rate_for(self.customer.country, self.customer.tax_category)
        return (self.subtotal() * rate).quantize(CENT, rounding=ROUND_HALF_EVEN)

    def total(self) -> Decimal:
        total = self.subtotal().quantize(CENT, rounding=ROUND_HALF_EVEN) + self.vat()
        return -total if self.credit_note else total


def save_invoice(session: Session, invoice: Invoice) -> InvoiceRow:
    row = InvoiceRow(
        customer_id=invoice.customer.id,
        currency=invoice.currency,
        subtotal=invoice.subtotal(),
        vat=invoice.vat(),
        total=invoice.total(),
        credit_note=invoice.credit_note,
    )
    session.add(row)
    session.flush()
    log.info("invoice.saved", invoice_id=row.id, customer_id=row.customer_id,
             total=str(row.total))
    return row
