import { Alert, Descriptions, Drawer, Space, Spin, Table, Tag, Typography } from 'antd';
import { type ReactNode, useCallback, useState } from 'react';
import { getOutboxItem, listDeliveries } from '../api/notify.ts';
import type { Attempt, OutboxDetail } from '../api/notify-types.ts';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../cursor-pages.ts';
import { dateTime } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { NEWEST_FIRST, Pager } from './Pager.tsx';
import { RelativeTime } from './RelativeTime.tsx';
import { Snippet } from './ShowOnce.tsx';
import { DeliveryStatusTag, OutboxStateTag } from './Tags.tsx';

/** One notification of the outbox: what was sent (markdown, payload) and every attempt to send it. */
export function OutboxDrawer({
  id,
  onClose,
  extra,
}: {
  /** The outbox entry to show; the drawer is open while there is one. */
  id: string | undefined;
  onClose: () => void;
  /** Buttons for the header (retry, discard). */
  extra?: (item: OutboxDetail) => ReactNode;
}) {
  const load = useCallback(
    (signal: AbortSignal) => (id ? getOutboxItem(id, signal) : Promise.resolve(undefined)),
    [id],
  );
  const { data, error, loading } = useLoad(load);
  const item = data?.id === id ? data : undefined;

  return (
    <Drawer
      open={id !== undefined}
      onClose={onClose}
      size="min(760px, 100vw)"
      title={item ? item.title : 'Notification'}
      extra={item && extra?.(item)}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      {loading && !item && <Spin />}
      {item && (
        <Space orientation="vertical" size="large" style={{ width: '100%' }} data-testid="outbox-detail">
          <Descriptions
            size="small"
            column={{ xs: 1, sm: 2 }}
            bordered
            items={[
              { key: 'state', label: 'State', children: <OutboxStateTag state={item.state} /> },
              {
                key: 'event',
                label: 'Event',
                children: <Tag style={{ marginInlineEnd: 0 }}>{item.event}</Tag>,
              },
              { key: 'channel', label: 'Channel', children: item.channelName },
              { key: 'rule', label: 'Rule', children: item.ruleName ?? '—' },
              { key: 'attempts', label: 'Attempts', children: `${item.attempts} of ${item.maxAttempts}` },
              {
                key: 'next',
                label: 'Next attempt',
                children: item.nextAttemptAt ? <RelativeTime iso={item.nextAttemptAt} /> : '—',
              },
              { key: 'created', label: 'Created', children: dateTime(item.createdAt) },
              { key: 'delivered', label: 'Delivered', children: dateTime(item.deliveredAt) },
              {
                key: 'key',
                label: 'Idempotency key',
                span: 2,
                children: (
                  <Typography.Text code copyable>
                    {item.idempotencyKey}
                  </Typography.Text>
                ),
              },
              ...(item.lastError
                ? [
                    {
                      key: 'error',
                      label: 'Last error',
                      span: 2,
                      children: <Typography.Text type="danger">{item.lastError}</Typography.Text>,
                    },
                  ]
                : []),
            ]}
          />
          <div>
            <Typography.Title level={5}>Message</Typography.Title>
            <Snippet text={item.markdown} testId="outbox-markdown" />
          </div>
          <div>
            <Typography.Title level={5}>Payload</Typography.Title>
            <Snippet text={JSON.stringify(item.payload, null, 2)} testId="outbox-payload" />
          </div>
          <div>
            <Typography.Title level={5}>Attempts</Typography.Title>
            <AttemptHistory outboxId={item.id} />
          </div>
        </Space>
      )}
    </Drawer>
  );
}

const ATTEMPTS_PAGE = 20;

/** Every attempt to send one notification, newest first, a page at a time. */
function AttemptHistory({ outboxId }: { outboxId: string }) {
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listDeliveries({ outboxId, limit: ATTEMPTS_PAGE, cursor }, signal),
    [outboxId, cursor],
  );
  const { data, error, loading } = useLoad(load);
  return (
    <>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Table<Attempt>
        rowKey="id"
        size="small"
        pagination={false}
        scroll={{ x: true }}
        loading={loading}
        dataSource={data?.items ?? []}
        data-testid="outbox-history"
        locale={{ emptyText: 'Not tried yet' }}
        columns={[
          { title: 'Time', dataIndex: 'at', width: 170, render: (v: string) => dateTime(v) },
          { title: '#', dataIndex: 'attempt', width: 50 },
          {
            title: 'Status',
            dataIndex: 'status',
            width: 110,
            render: (s: string) => <DeliveryStatusTag status={s} />,
          },
          { title: 'Code', dataIndex: 'responseCode', width: 70, render: (v: number | null) => v ?? '—' },
          { title: 'ms', dataIndex: 'ms', width: 70, render: (v: number | null) => v ?? '—' },
          {
            title: 'Error',
            dataIndex: 'error',
            render: (v: string | null) => (v ? <Typography.Text type="danger">{v}</Typography.Text> : '—'),
          },
        ]}
      />
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="outbox-history"
      />
    </>
  );
}
