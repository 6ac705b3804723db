/**
 * Keeping the alerts table current from the live stream: a changed alert replaces its row, a new
 * one is inserted where the server would list it (newest last report first), and one that no
 * longer matches the filters leaves the table.
 */
import type { AlertFilter } from './api/alerts.ts';
import type { AlertSummary } from './api/types.ts';

/** The server's filter, applied in the browser to an alert the stream brought. */
export function matchesFilter(alert: AlertSummary, filter: AlertFilter): boolean {
  if (filter.status.length && !filter.status.includes(alert.state)) return false;
  if (filter.severity.length && !filter.severity.includes(alert.severity)) return false;
  for (const item of filter.labels) {
    const eq = item.indexOf('=');
    if (eq <= 0 || alert.labels[item.slice(0, eq)] !== item.slice(eq + 1)) return false;
  }
  const text = filter.q.trim().toLowerCase();
  if (text) {
    const haystack = [alert.name, JSON.stringify(alert.labels), JSON.stringify(alert.annotations)]
      .join('\n')
      .toLowerCase();
    if (!haystack.includes(text)) return false;
  }
  return true;
}

/** The server's order: last report newest first, then fingerprint descending. */
export function newerFirst(a: AlertSummary, b: AlertSummary): number {
  const byTime = Date.parse(b.lastSeen) - Date.parse(a.lastSeen);
  if (byTime !== 0) return byTime;
  return a.fingerprint < b.fingerprint ? 1 : a.fingerprint > b.fingerprint ? -1 : 0;
}

export function upsertAlert(items: AlertSummary[], alert: AlertSummary, filter: AlertFilter): AlertSummary[] {
  const at = items.findIndex((a) => a.fingerprint === alert.fingerprint);
  if (!matchesFilter(alert, filter)) return at < 0 ? items : items.filter((_, i) => i !== at);
  if (at >= 0) {
    const next = items.slice();
    next[at] = alert;
    return next;
  }
  const position = items.findIndex((a) => newerFirst(alert, a) < 0);
  const next = items.slice();
  next.splice(position < 0 ? next.length : position, 0, alert);
  return next;
}

/**
 * A change the stream brought, on the page shown: a new alert belongs on the first page (the
 * list is newest first); a later page only follows the alerts it shows.
 */
export function liveUpdate(
  items: AlertSummary[],
  alert: AlertSummary,
  filter: AlertFilter,
  firstPage: boolean,
): AlertSummary[] {
  if (!firstPage && !items.some((a) => a.fingerprint === alert.fingerprint)) return items;
  return upsertAlert(items, alert, filter);
}
