import { Select, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { listChannels, listDeliveries } from '../api/notify.ts';
import { ATTEMPT_STATUSES, type Attempt, type AttemptStatus, type Channel } from '../api/notify-types.ts';
import { ListPage } from '../components/ListPage.tsx';
import { OutboxDrawer } from '../components/OutboxDrawer.tsx';
import { NEWEST_FIRST, Pager } from '../components/Pager.tsx';
import { RefreshControls } from '../components/RefreshControls.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { DeliveryStatusTag } from '../components/Tags.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../cursor-pages.ts';
import { useAutoRefresh, useLoad } from '../hooks.ts';

const PAGE_SIZE = 50;
const REFRESH_MS = 5_000;
const NO_CHANNELS: Channel[] = [];

/** The delivery log: every attempt to send a notification, newest first, filtered and paged. */
export function DeliveriesPage() {
  const [status, setStatus] = useState<AttemptStatus>();
  const [channelId, setChannelId] = useState<string>();
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const [shown, setShown] = useState<string>();
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listDeliveries({ status, channelId, limit: PAGE_SIZE, cursor }, signal),
    [status, channelId, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, false);
  const loadChannels = useCallback((signal: AbortSignal) => listChannels(signal), []);
  const channels = useLoad(loadChannels).data ?? NO_CHANNELS;

  const filter =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setTrail(FIRST_PAGE);
    };

  return (
    <>
      <ListPage<Attempt>
        title="Deliveries"
        actions={
          <Space wrap>
            <Select<AttemptStatus>
              allowClear
              placeholder="any status"
              style={{ width: 150 }}
              value={status}
              onChange={filter(setStatus)}
              options={ATTEMPT_STATUSES.map((s) => ({ value: s, label: s }))}
              data-testid="deliveries-status"
            />
            <Select<string>
              allowClear
              showSearch={{ optionFilterProp: 'label' }}
              placeholder="any channel"
              style={{ width: 200 }}
              value={channelId}
              onChange={filter(setChannelId)}
              options={channels.map((c) => ({ value: c.id, label: c.name }))}
              data-testid="deliveries-channel"
            />
            <RefreshControls
              auto={auto}
              onAuto={setAuto}
              everyMs={REFRESH_MS}
              reload={reload}
              testId="deliveries"
            />
          </Space>
        }
        error={error}
        loading={loading && !auto}
        rows={data?.items}
        locale={{ emptyText: 'No deliveries' }}
        data-testid="deliveries-table"
        rowTestId={(attempt) => `row-${attempt.id}`}
        rowStatus={(attempt) => attempt.status}
        columns={[
          { title: 'Time', dataIndex: 'at', width: 120, render: (v: string) => <RelativeTime iso={v} /> },
          { title: 'Channel', dataIndex: 'channelName', width: 160 },
          {
            title: 'Event',
            dataIndex: 'event',
            width: 120,
            render: (e: string) => <Tag style={{ marginInlineEnd: 0 }}>{e}</Tag>,
          },
          {
            title: 'Title',
            dataIndex: 'title',
            ellipsis: true,
            render: (title: string, attempt) => (
              <Typography.Link onClick={() => setShown(attempt.outboxId)} title={title}>
                {title}
              </Typography.Link>
            ),
          },
          { title: 'Attempt', dataIndex: 'attempt', width: 80, align: 'right' },
          {
            title: 'Status',
            dataIndex: 'status',
            width: 110,
            render: (s: string) => <DeliveryStatusTag status={s} />,
          },
          {
            title: 'Code',
            dataIndex: 'responseCode',
            width: 70,
            align: 'right',
            render: (v: number | null) => v ?? '—',
          },
          {
            title: 'Latency',
            dataIndex: 'ms',
            width: 90,
            align: 'right',
            render: (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`),
          },
          {
            title: 'Error',
            dataIndex: 'error',
            ellipsis: true,
            render: (v: string | null) =>
              v ? (
                <Typography.Text type="danger" title={v}>
                  {v}
                </Typography.Text>
              ) : (
                '—'
              ),
          },
        ]}
      />
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="deliveries"
      />
      <OutboxDrawer id={shown} onClose={() => setShown(undefined)} />
    </>
  );
}
