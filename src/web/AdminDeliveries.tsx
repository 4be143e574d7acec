/**
 * Deliveries (viewer): outbound deliveries (webhook, PagerDuty, Slack) that finally failed, newest
 * first (GET /api/v1/deliveries), read again every few seconds while the tab is open.
 */
import type { Delivery } from '../protocol/index.js';
import { getJson } from './api.js';
import { TableHead, useHeaderSort } from './TableHead.js';
import type { SortValue } from './table-sort.js';
import { sortedBy } from './table-sort.js';
import { usePolled } from './use-polled.js';

const REFRESH_MS = 10_000;
const LIMIT = 200;

const SORT: Readonly<Record<string, (d: Delivery) => SortValue>> = {
  when: (d) => d.time,
  integration: (d) => d.integration,
  type: (d) => d.type,
  event: (d) => d.eventType,
  attempts: (d) => d.attempts,
  status: (d) => d.httpStatus ?? undefined,
};

const listDeliveries = () => getJson<Delivery[]>(`/api/v1/deliveries?limit=${LIMIT}`);

export function AdminDeliveries() {
  const { value, error } = usePolled(listDeliveries, REFRESH_MS);
  const rows = value ?? [];
  const sorting = useHeaderSort();
  return (
    <section data-testid="deliveries">
      <p className="hint">Outbound deliveries that finally failed (kept 30 days): the newest {LIMIT}. Retried ones that got through are not listed.</p>
      {error && (
        <p className="error-box" role="alert">
          {error}
        </p>
      )}
      {rows.length === 0 && !error ? (
        <p className="dim" data-testid="deliveries-empty">
          No failed deliveries.
        </p>
      ) : (
        <table className="table" data-testid="deliveries-table" data-rows={rows.length}>
          <TableHead
            columns={[{ label: 'When', sort: 'when' }, { label: 'Integration', sort: 'integration' }, { label: 'Type', sort: 'type' }, { label: 'Event', sort: 'event' }, { label: 'Attempts', sort: 'attempts' }, { label: 'Status', sort: 'status' }, { label: 'Error' }]}
            sorting={sorting}
          />
          <tbody>
            {sortedBy(rows, sorting.sort, SORT).map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-integration={d.integration}>
                <td className="nowrap" title={`first tried ${new Date(d.firstAt).toISOString()}`}>
                  {new Date(d.time).toLocaleString([], { hour12: false })}
                </td>
                <td title={d.target}>{d.integration}</td>
                <td>{d.type}</td>
                <td title={d.eventId}>
                  <code>{d.eventType}</code>
                </td>
                <td>{d.attempts}</td>
                <td>{d.httpStatus ?? '-'}</td>
                <td className="wrap">{d.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
