/** The alert center: list, detail, stats, actions and the live stream. */
import { api } from './client.ts';
import { openStream, type StreamStatus } from './sse.ts';
import type {
  AlertAction,
  AlertDetail,
  AlertInstance,
  AlertOverview,
  AlertPage,
  AlertStats,
  AlertSummary,
  HistoryEntry,
  OverviewRange,
  Paged,
} from './types.ts';

export interface AlertFilter {
  status: string[];
  severity: string[];
  /** Free text in the name, labels or annotations. */
  q: string;
  /** `name=value` each; every one must match. */
  labels: string[];
}

export const emptyFilter = (): AlertFilter => ({ status: [], severity: [], q: '', labels: [] });

export function listAlerts(filter: AlertFilter, cursor?: string, signal?: AbortSignal): Promise<AlertPage> {
  return api<AlertPage>('/api/v1/alerts', {
    query: {
      status: filter.status.join(','),
      severity: filter.severity.join(','),
      q: filter.q.trim(),
      label: filter.labels,
      cursor,
      limit: 50,
    },
    signal,
  });
}

export const getAlert = (fingerprint: string, signal?: AbortSignal) =>
  api<AlertDetail>(`/api/v1/alerts/${encodeURIComponent(fingerprint)}`, { signal });

/** Older pages of an alert's instances or history, after the detail's first page. */
export const olderOfAlert = <K extends 'instances' | 'history'>(
  fingerprint: string,
  what: K,
  cursor: string,
) =>
  api<Paged<K extends 'instances' ? AlertInstance : HistoryEntry>>(
    `/api/v1/alerts/${encodeURIComponent(fingerprint)}/${what}`,
    { query: { cursor } },
  );

export const alertStats = (signal?: AbortSignal) => api<AlertStats>('/api/v1/alerts/stats', { signal });

export const alertOverview = (range: OverviewRange, signal?: AbortSignal) =>
  api<AlertOverview>('/api/v1/alerts/overview', { query: { range }, signal });

export const actOnAlert = (fingerprint: string, action: AlertAction, note?: string) =>
  api<AlertSummary>(`/api/v1/alerts/${encodeURIComponent(fingerprint)}/${action}`, {
    method: 'POST',
    body: note?.trim() ? { note: note.trim() } : {},
  });

/** Follows `GET /api/v1/alerts/stream`: every `event: alert` carries the changed alert's summary. */
export function followAlerts(
  onAlert: (alert: AlertSummary) => void,
  onStatus: (status: StreamStatus, detail?: string) => void,
): () => void {
  return openStream({
    path: '/api/v1/alerts/stream',
    onStatus,
    onMessage: (message) => {
      if (message.event !== 'alert') return;
      try {
        onAlert(JSON.parse(message.data) as AlertSummary);
      } catch {
        // A malformed event is skipped; the next change of that alert brings it again.
      }
    },
  });
}
