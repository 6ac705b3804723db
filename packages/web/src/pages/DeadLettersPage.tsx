import { App, Button, Popconfirm, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from '../api/client.ts';
import { discardDeadLetter, listDeadLetters, retryDeadLetter } from '../api/notify.ts';
import type { OutboxItem } from '../api/notify-types.ts';
import { ListPage } from '../components/ListPage.tsx';
import { OutboxDrawer } from '../components/OutboxDrawer.tsx';
import { NEWEST_FIRST, Pager } from '../components/Pager.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../cursor-pages.ts';
import { useLoad, useSession } from '../hooks.ts';

const PAGE_SIZE = 50;

/** Notifications that ran out of attempts: look at what failed, send again, or drop. */
export function DeadLettersPage() {
  const { message } = App.useApp();
  const canWrite = useSession()?.user.role !== 'viewer';
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listDeadLetters({ limit: PAGE_SIZE, cursor }, signal),
    [cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [shown, setShown] = useState<string>();
  const [busy, setBusy] = useState<string>();

  const act = async (item: OutboxItem, what: () => Promise<unknown>, done: string) => {
    setBusy(item.id);
    try {
      await what();
      message.success(done);
      setShown(undefined);
      reload();
    } catch (err) {
      message.error(errorText(err));
    } finally {
      setBusy(undefined);
    }
  };
  const retry = (item: OutboxItem) =>
    act(item, () => retryDeadLetter(item.id), `Queued again: ${item.title}`);
  const discard = (item: OutboxItem) =>
    act(item, () => discardDeadLetter(item.id), `Discarded: ${item.title}`);

  const buttons = (item: OutboxItem) =>
    canWrite && (
      <Space size={4}>
        <Button
          size="small"
          type="primary"
          loading={busy === item.id}
          onClick={() => retry(item)}
          data-testid={`dead-retry-${item.id}`}
        >
          Retry
        </Button>
        <Popconfirm
          title="Discard this notification?"
          description="It is not sent, and leaves this list."
          okText="Discard"
          okButtonProps={{ danger: true }}
          onConfirm={() => discard(item)}
        >
          <Button size="small" danger disabled={busy === item.id} data-testid={`dead-discard-${item.id}`}>
            Discard
          </Button>
        </Popconfirm>
      </Space>
    );

  return (
    <>
      <ListPage<OutboxItem>
        title="Dead letters"
        actions={
          <Button onClick={reload} data-testid="dead-refresh">
            Refresh
          </Button>
        }
        error={error}
        loading={loading}
        rows={data?.items}
        locale={{ emptyText: 'No dead letters: every notification got through or is still trying' }}
        data-testid="dead-letters-table"
        rowTestId={(item) => `row-${item.id}`}
        columns={[
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 120,
            render: (v: string) => <RelativeTime iso={v} />,
          },
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
            render: (title: string, item) => (
              <Typography.Link
                onClick={() => setShown(item.id)}
                title={title}
                data-testid={`dead-details-${item.id}`}
              >
                {title}
              </Typography.Link>
            ),
          },
          {
            title: 'Attempts',
            dataIndex: 'attempts',
            width: 90,
            align: 'right',
            render: (n: number, item) => `${n}/${item.maxAttempts}`,
          },
          {
            title: 'Last error',
            dataIndex: 'lastError',
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
          { title: '', key: 'actions', width: 170, render: (_: unknown, item) => buttons(item) },
        ]}
      />
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="dead-letters"
      />
      <OutboxDrawer id={shown} onClose={() => setShown(undefined)} extra={buttons} />
    </>
  );
}
