import {
  Alert,
  App,
  Badge,
  Input,
  Select,
  Space,
  Table,
  type TableColumnsType,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useEffect, useRef, useState } from 'react';
import { liveUpdate } from '../alert-list.ts';
import { type AlertFilter, emptyFilter, followAlerts, listAlerts } from '../api/alerts.ts';
import { errorText } from '../api/client.ts';
import type { StreamStatus } from '../api/sse.ts';
import { ALERT_STATES, type AlertSummary, SEVERITIES } from '../api/types.ts';
import { OverviewStrip } from '../components/OverviewStrip.tsx';
import { NEWEST_FIRST, Pager } from '../components/Pager.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { LabelTags, SeverityTag, StateTag } from '../components/Tags.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE, pageNumber } from '../cursor-pages.ts';
import { navigate } from '../router.ts';
import { AlertDetail } from './AlertDetail.tsx';

const OPEN_STATES = ['firing', 'acknowledged', 'silenced'];
/** Stream events kept to replay over a page that was requested before they arrived. */
const REPLAY = 500;

const LIVE_BADGE: Record<
  StreamStatus,
  { status: 'processing' | 'default' | 'warning' | 'error'; text: string }
> = {
  live: { status: 'processing', text: 'Live' },
  connecting: { status: 'default', text: 'Connecting…' },
  reconnecting: { status: 'warning', text: 'Reconnecting…' },
  stopped: { status: 'error', text: 'Not live' },
};

const columns: TableColumnsType<AlertSummary> = [
  {
    title: 'State',
    dataIndex: 'state',
    width: 130,
    render: (state: string) => <StateTag state={state} />,
  },
  {
    title: 'Severity',
    dataIndex: 'severity',
    width: 100,
    render: (severity: string) => <SeverityTag severity={severity} />,
  },
  {
    title: 'Alert',
    dataIndex: 'name',
    // The name and two lines of summary; labels take what is left.
    width: 320,
    render: (name: string, alert) => (
      <Space orientation="vertical" size={0}>
        <Typography.Text strong>{name}</Typography.Text>
        {(alert.annotations.summary ?? alert.annotations.description) && (
          <Typography.Text type="secondary" className="opsfleet-clip">
            {alert.annotations.summary ?? alert.annotations.description}
          </Typography.Text>
        )}
      </Space>
    ),
  },
  {
    title: 'Labels',
    dataIndex: 'labels',
    responsive: ['lg'],
    render: (labels: Record<string, string>) => (
      <LabelTags labels={labels} max={4} hide={['alertname', 'severity']} />
    ),
  },
  { title: 'Source', dataIndex: 'source', width: 110, responsive: ['xl'] },
  {
    title: 'Started',
    dataIndex: 'startsAt',
    width: 130,
    render: (iso: string | null) => <RelativeTime iso={iso} />,
  },
  {
    title: 'Last seen',
    dataIndex: 'lastSeen',
    width: 130,
    render: (iso: string) => <RelativeTime iso={iso} />,
  },
];

/**
 * The alert list: filters, cursor paging, live updates from the stream, and the detail drawer of
 * the alert named in the path (`/alerts/<fingerprint>`).
 */
export function AlertsPage({ fingerprint }: { fingerprint?: string }) {
  const { message } = App.useApp();
  const [filter, setFilter] = useState<AlertFilter>(() => ({ ...emptyFilter(), status: OPEN_STATES }));
  const [query, setQuery] = useState('');
  const [items, setItems] = useState<AlertSummary[]>([]);
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState<{ status: StreamStatus; detail?: string }>({ status: 'connecting' });
  const [changes, setChanges] = useState(0);
  const [lastChange, setLastChange] = useState<AlertSummary>();
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  /** Bumped when the stream comes back after a break: what changed meanwhile is loaded again. */
  const [resync, setResync] = useState(0);

  const filterRef = useRef(filter);
  const firstPageRef = useRef(true);
  const itemsRef = useRef(items);
  useEffect(() => {
    itemsRef.current = items;
  }, [items]);
  const events = useRef<{ seq: number; alert: AlertSummary }[]>([]);
  const seq = useRef(0);
  const lastStatus = useRef<StreamStatus>('connecting');

  // biome-ignore lint/correctness/useExhaustiveDependencies: resync asks for the same page again
  useEffect(() => {
    filterRef.current = filter;
    const first = pageNumber(trail) === 1;
    firstPageRef.current = first;
    const abort = new AbortController();
    const since = seq.current;
    setLoading(true);
    setError(undefined);
    listAlerts(filter, currentCursor(trail), abort.signal)
      .then((page) => {
        if (abort.signal.aborted) return;
        // Changes the stream brought while this page was on its way are applied over it.
        let next = page.items;
        for (const e of events.current) if (e.seq > since) next = liveUpdate(next, e.alert, filter, first);
        setItems(next);
        setNextCursor(page.nextCursor);
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(errorText(err));
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [filter, trail, resync]);

  useEffect(
    () =>
      followAlerts(
        (alert) => {
          seq.current += 1;
          events.current.push({ seq: seq.current, alert });
          if (events.current.length > REPLAY) events.current.splice(0, events.current.length - REPLAY);
          if (!itemsRef.current.some((a) => a.fingerprint === alert.fingerprint))
            setFresh((f) => new Set(f).add(alert.fingerprint));
          setItems((prev) => liveUpdate(prev, alert, filterRef.current, firstPageRef.current));
          setChanges((n) => n + 1);
          setLastChange(alert);
        },
        (status, detail) => {
          if (status === 'live' && lastStatus.current === 'reconnecting') {
            setResync((n) => n + 1);
            setChanges((n) => n + 1);
          }
          lastStatus.current = status;
          setLive({ status, detail });
        },
      ),
    [],
  );

  useEffect(() => {
    if (fresh.size === 0) return;
    const timer = setTimeout(() => setFresh(new Set()), 3000);
    return () => clearTimeout(timer);
  }, [fresh]);

  const change = (part: Partial<AlertFilter>) => {
    setFilter((f) => ({ ...f, ...part }));
    setTrail(FIRST_PAGE);
  };
  const setLabels = (values: string[]) => {
    const good = values.filter((v) => v.indexOf('=') > 0);
    if (good.length < values.length) message.warning('write a label filter as name=value');
    change({ labels: good });
  };

  const onRow = useCallback(
    (alert: AlertSummary) =>
      ({
        'data-testid': `alert-row-${alert.fingerprint}`,
        onClick: () => navigate(`/alerts/${encodeURIComponent(alert.fingerprint)}`),
        style: { cursor: 'pointer' },
      }) as HTMLAttributes<HTMLElement>,
    [],
  );

  const badge = LIVE_BADGE[live.status];
  return (
    <>
      <OverviewStrip changes={changes} />
      <div className="opsfleet-filters">
        <Select
          mode="multiple"
          allowClear
          placeholder="Any state"
          style={{ minWidth: 'min(260px, 100%)' }}
          value={filter.status}
          onChange={(status: string[]) => change({ status })}
          options={ALERT_STATES.map((s) => ({ value: s, label: s }))}
          data-testid="filter-status"
        />
        <Select
          mode="multiple"
          allowClear
          placeholder="Any severity"
          style={{ minWidth: 'min(200px, 100%)' }}
          value={filter.severity}
          onChange={(severity: string[]) => change({ severity })}
          options={SEVERITIES.map((s) => ({ value: s, label: s }))}
          data-testid="filter-severity"
        />
        <Input.Search
          allowClear
          placeholder="Search name, labels, annotations"
          style={{ width: 280 }}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            if (!e.target.value) change({ q: '' });
          }}
          onSearch={(q) => change({ q })}
          data-testid="filter-q"
        />
        <Select
          mode="tags"
          allowClear
          open={false}
          suffixIcon={null}
          placeholder="label name=value"
          style={{ minWidth: 'min(220px, 100%)' }}
          value={filter.labels}
          onChange={setLabels}
          data-testid="filter-label"
        />
        <Tooltip title={live.detail}>
          <span data-testid="live-status" data-state={live.status}>
            <Badge status={badge.status} text={badge.text} />
          </span>
        </Tooltip>
      </div>
      {error && (
        <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="alerts-error" />
      )}
      <div data-testid="alerts-table">
        <Table<AlertSummary>
          rowKey="fingerprint"
          size="middle"
          columns={columns}
          dataSource={items}
          loading={loading}
          pagination={false}
          scroll={{ x: true }}
          onRow={onRow}
          rowClassName={(alert) => (fresh.has(alert.fingerprint) ? 'opsfleet-fresh' : '')}
          locale={{ emptyText: 'No alerts match these filters' }}
        />
      </div>
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={nextCursor}
        labels={NEWEST_FIRST}
        testId="alerts"
      />
      <AlertDetail
        fingerprint={fingerprint}
        lastChange={lastChange}
        onClose={() => navigate('/alerts')}
        onChanged={(alert) =>
          setItems((prev) => liveUpdate(prev, alert, filterRef.current, firstPageRef.current))
        }
      />
    </>
  );
}
