import { Input, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { type AuditEntry, type AuditFilter, listAudit } from '../api/audit.ts';
import { ListPage } from '../components/ListPage.tsx';
import { NEWEST_FIRST, Pager } from '../components/Pager.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { Snippet } from '../components/ShowOnce.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../cursor-pages.ts';
import { useLoad } from '../hooks.ts';

const PAGE_SIZE = 50;
const PERIODS = [
  { value: 0, label: 'any time' },
  { value: 3_600_000, label: 'last hour' },
  { value: 86_400_000, label: 'last 24 hours' },
  { value: 7 * 86_400_000, label: 'last 7 days' },
  { value: 30 * 86_400_000, label: 'last 30 days' },
];

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** Who changed what and when, newest first: users, API keys, silences, channels, rules, agents. */
export function AuditPage() {
  const [filter, setFilter] = useState<Omit<AuditFilter, 'limit' | 'cursor'>>({});
  const [period, setPeriod] = useState(0);
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listAudit({ ...filter, limit: PAGE_SIZE, cursor }, signal),
    [filter, cursor],
  );
  const { data, error, loading } = useLoad(load);

  const set = (change: Partial<AuditFilter>) => {
    setFilter((f) => ({ ...f, ...change }));
    setTrail(FIRST_PAGE);
  };
  const search = (key: 'actor' | 'action' | 'resource', placeholder: string, width: number) => (
    <Input.Search
      allowClear
      placeholder={placeholder}
      style={{ width }}
      onSearch={(value) => set({ [key]: value.trim() || undefined })}
      data-testid={`audit-${key}`}
    />
  );

  return (
    <>
      <ListPage<AuditEntry>
        title="Audit log"
        actions={
          <Space wrap>
            {search('actor', 'actor', 150)}
            {search('action', 'action, e.g. user.update', 240)}
            {search('resource', 'resource prefix, e.g. user:', 250)}
            <Select<number>
              style={{ width: 150 }}
              value={period}
              options={PERIODS}
              onChange={(ms) => {
                setPeriod(ms);
                set({ from: ms ? new Date(Date.now() - ms).toISOString() : undefined });
              }}
              data-testid="audit-period"
            />
          </Space>
        }
        error={error}
        loading={loading}
        rows={data?.items}
        locale={{ emptyText: 'No entries' }}
        data-testid="audit-table"
        rowTestId={(entry) => `audit-row-${entry.id}`}
        expandable={{
          rowExpandable: (entry) => entry.before !== null || entry.after !== null,
          expandedRowRender: (entry) => (
            <Space align="start" style={{ width: '100%' }} wrap>
              {entry.before !== null && <Change title="Before" value={entry.before} />}
              {entry.after !== null && <Change title="After" value={entry.after} />}
            </Space>
          ),
        }}
        columns={[
          { title: 'Time', dataIndex: 'at', width: 130, render: (v: string) => <RelativeTime iso={v} /> },
          { title: 'Actor', dataIndex: 'actor', width: 180 },
          {
            title: 'Action',
            dataIndex: 'action',
            width: 180,
            render: (a: string) => <Tag style={{ marginInlineEnd: 0 }}>{a}</Tag>,
          },
          {
            title: 'Resource',
            dataIndex: 'resource',
            ellipsis: true,
            render: (r: string) => (
              <Typography.Text className="opsfleet-mono" title={r}>
                {r}
              </Typography.Text>
            ),
          },
        ]}
      />
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="audit"
      />
    </>
  );
}

function Change({ title, value }: { title: string; value: unknown }) {
  return (
    <div style={{ minWidth: 320 }}>
      <Typography.Text type="secondary">{title}</Typography.Text>
      <Snippet text={json(value)} />
    </div>
  );
}
