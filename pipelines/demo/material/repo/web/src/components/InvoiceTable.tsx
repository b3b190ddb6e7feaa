import { useMemo, useState } from "react";
import { formatMoney } from "../lib/money";
import type { Invoice } from "../api/billing";

type SortKey = "issued_at" | "total" | "status";

export function InvoiceTable({ invoices }: { invoices: Invoice[] }) {
  const [sortKey, setSortKey] = useState<SortKey>("issued_at");
  const [descending, setDescending] = useState(true);

  const rows = useMemo(() => {
    const sorted = [...invoices].sort((a, b) => (a[sortKey] < b[sortKey] ? -1 : 1));
    return descending ? sorted.reverse() : sorted;
  }, [invoices, sortKey, descending]);

  function toggle(key: SortKey) {
    if (key === sortKey) setDescending(!descending);
    else setSortKey(key);
  }

  return (
    <table className="invoice-table">
      <thead>
        <tr>
          <th onClick={() => toggle("issued_at")}>Date</th>
          <th>Number</th>
          <th onClick={() => toggle("total")}>Total</th>
          <th onClick={() => toggle("status")}>Status</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((invoice) => (
          <tr key={invoice.id}>
            <td>{invoice.issued_at.slice(0, 10)}</td>
            <td>{invoice.number}</td>
            <td>{formatMoney(invoice.total, invoice.currency)}</td>
            <td>{invoice.status}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
