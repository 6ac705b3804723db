import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Empty,
  Input,
  Popconfirm,
  Select,
  Space,
  Spin,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useCallback, useState } from 'react';
import {
  type Agent,
  type AgentHistoryEntry,
  type AgentService,
  type AgentStatus,
  forgetAgent,
  getAgent,
  listAgents,
  type ServiceCounts,
} from '../api/agents.ts';
import { errorText } from '../api/client.ts';
import { clipped, ListPage } from '../components/ListPage.tsx';
import { Pager } from '../components/Pager.tsx';
import { RefreshControls } from '../components/RefreshControls.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { LabelTags } from '../components/Tags.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../cursor-pages.ts';
import { dateTime } from '../format.ts';
import { useAutoRefresh, useLoad, useSession } from '../hooks.ts';

const PAGE_SIZE = 50;
/** As often as agents heartbeat: online and offline stay current. */
const REFRESH_MS = 15_000;

const SERVICE_STATE_COLORS: Record<string, string> = {
  running: 'green',
  starting: 'blue',
  stopping: 'blue',
  backoff: 'orange',
  fatal: 'red',
  waiting: 'gold',
  paused: 'purple',
  stopped: 'default',
};

const HEALTH_COLORS: Record<string, string> = {
  passing: 'green',
  warning: 'orange',
  critical: 'red',
  unknown: 'default',
};

const HISTORY_COLORS: Record<string, string> = { registered: 'blue', online: 'green', offline: 'red' };

/** Busiest states first, running last: what needs a look comes first. */
const STATE_ORDER = ['fatal', 'backoff', 'waiting', 'starting', 'stopping', 'paused', 'stopped', 'running'];
const stateRank = (s: string) => {
  const i = STATE_ORDER.indexOf(s);
  return i < 0 ? STATE_ORDER.length : i;
};

export function AgentStatusTag({ status }: { status: AgentStatus }) {
  return (
    <span data-testid="agent-status" data-status={status}>
      <Tag color={status === 'online' ? 'green' : 'red'} style={{ marginInlineEnd: 0 }}>
        {status}
      </Tag>
    </span>
  );
}

function ServiceStateTag({ state }: { state: string }) {
  return (
    <Tag color={SERVICE_STATE_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
      {state}
    </Tag>
  );
}

/** `3 running · 1 backoff · 1 unhealthy`, as tags. */
function ServicesSummary({ counts }: { counts: ServiceCounts }) {
  if (counts.total === 0) return <Typography.Text type="secondary">none</Typography.Text>;
  const states = Object.entries(counts.byState).sort(([a], [b]) => stateRank(a) - stateRank(b));
  return (
    <span style={{ display: 'inline-flex', flexWrap: 'wrap', gap: 4 }} data-testid="agent-services">
      {states.map(([state, n]) => (
        <Tag key={state} color={SERVICE_STATE_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
          {n} {state}
        </Tag>
      ))}
      {counts.unhealthy > 0 && (
        <Tag color="red" style={{ marginInlineEnd: 0 }}>
          {counts.unhealthy} unhealthy
        </Tag>
      )}
    </span>
  );
}

/** The agents: online or offline, when last heard from, labels and services; one in a drawer. */
export function AgentsPage() {
  const [status, setStatus] = useState<AgentStatus>();
  const [text, setText] = useState('');
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const [shown, setShown] = useState<string>();
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listAgents({ status, q: text || undefined, cursor, limit: PAGE_SIZE }, signal),
    [status, text, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);

  const filter =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setTrail(FIRST_PAGE);
    };

  return (
    <>
      <ListPage<Agent>
        title="Agents"
        titleExtra={
          data && (
            <Space size={4} data-testid="agent-counts">
              <Tag color="green">{data.counts.online} online</Tag>
              <Tag color={data.counts.offline ? 'red' : 'default'}>{data.counts.offline} offline</Tag>
            </Space>
          )
        }
        actions={
          <Space wrap>
            <Input.Search
              allowClear
              placeholder="name, hostname, label"
              style={{ width: 240 }}
              onSearch={filter(setText)}
              data-testid="agents-search"
            />
            <Select<AgentStatus>
              allowClear
              placeholder="any status"
              style={{ width: 140 }}
              value={status}
              onChange={filter(setStatus)}
              options={[
                { value: 'online', label: 'online' },
                { value: 'offline', label: 'offline' },
              ]}
              data-testid="agents-status"
            />
            <RefreshControls
              auto={auto}
              onAuto={setAuto}
              everyMs={REFRESH_MS}
              reload={reload}
              testId="agents"
            />
          </Space>
        }
        error={error}
        loading={loading && !data}
        rows={data?.items}
        locale={{
          emptyText:
            'No agents. An agent registers with an API key of the role agent (Admin → API keys) set as agent.server.token.',
        }}
        data-testid="agents-table"
        rowTestId={(agent) => `agent-row-${agent.name}`}
        rowStatus={(agent) => agent.status}
        columns={[
          {
            title: 'Agent',
            dataIndex: 'name',
            render: (name: string, agent) => (
              <Space orientation="vertical" size={0}>
                <Typography.Link onClick={() => setShown(agent.id)} data-testid={`agent-open-${name}`}>
                  {name}
                </Typography.Link>
                {agent.hostname !== name && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {agent.hostname}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: 'Status',
            dataIndex: 'status',
            width: 150,
            render: (s: AgentStatus, agent) => (
              <Space size={6}>
                <AgentStatusTag status={s} />
                {s === 'offline' && (
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    <RelativeTime iso={agent.statusSince} />
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: 'Last seen',
            dataIndex: 'lastSeen',
            width: 120,
            render: (v: string) => <RelativeTime iso={v} />,
          },
          { title: 'Version', dataIndex: 'version', width: 100 },
          {
            title: 'Labels',
            dataIndex: 'labels',
            render: (labels: Record<string, string>) => <LabelTags labels={labels} max={3} />,
          },
          {
            title: 'Services',
            dataIndex: 'serviceCounts',
            render: (counts: ServiceCounts) => <ServicesSummary counts={counts} />,
          },
          {
            title: 'Restarts',
            key: 'restarts',
            width: 90,
            align: 'right',
            render: (_: unknown, agent) => agent.serviceCounts.restarts,
          },
        ]}
      />
      <Pager trail={trail} onChange={setTrail} nextCursor={data?.nextCursor} testId="agents" />
      <AgentDrawer
        id={shown}
        onClose={() => setShown(undefined)}
        onForgotten={() => {
          setShown(undefined);
          reload();
        }}
      />
    </>
  );
}

/** One agent: its facts, its services with state and restarts, and when it came and went. */
function AgentDrawer({
  id,
  onClose,
  onForgotten,
}: {
  id: string | undefined;
  onClose: () => void;
  onForgotten: () => void;
}) {
  const { message } = App.useApp();
  const role = useSession()?.user.role;
  const canForget = role === 'admin' || role === 'operator';
  const load = useCallback(
    (signal: AbortSignal) => (id ? getAgent(id, signal) : Promise.resolve(undefined)),
    [id],
  );
  const { data, error, loading } = useLoad(load);
  const agent = data?.id === id ? data : undefined;

  const forget = async () => {
    if (!agent) return;
    try {
      await forgetAgent(agent.id);
      message.success(`${agent.name} forgotten; it comes back if it runs and its key still works`);
      onForgotten();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <Drawer
      open={id !== undefined}
      onClose={onClose}
      size="min(860px, 100vw)"
      title={agent ? agent.name : 'Agent'}
      destroyOnHidden
      extra={
        agent &&
        canForget && (
          <Popconfirm
            title="Forget this agent?"
            description="Its record and history are removed. A running agent registers again unless its API key is revoked."
            okText="Forget"
            onConfirm={forget}
          >
            <Button danger data-testid="agent-forget">
              Forget
            </Button>
          </Popconfirm>
        )
      }
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      {loading && !agent && <Spin />}
      {agent && (
        <Space orientation="vertical" size="large" style={{ width: '100%' }} data-testid="agent-detail">
          <Descriptions
            size="small"
            column={{ xs: 1, sm: 2 }}
            bordered
            items={[
              {
                key: 'status',
                label: 'Status',
                children: (
                  <Space size={6}>
                    <AgentStatusTag status={agent.status} />
                    <Typography.Text type="secondary">
                      since <RelativeTime iso={agent.statusSince} />
                    </Typography.Text>
                  </Space>
                ),
              },
              { key: 'seen', label: 'Last seen', children: <RelativeTime iso={agent.lastSeen} /> },
              { key: 'host', label: 'Hostname', children: agent.hostname },
              { key: 'key', label: 'API key', children: agent.keyName },
              { key: 'version', label: 'Version', children: agent.version },
              { key: 'grpc', label: 'gRPC', children: agent.grpcAddress ?? '—' },
              { key: 'from', label: 'Connects from', children: agent.remoteAddress ?? '—' },
              { key: 'started', label: 'Agent started', children: dateTime(agent.startedAt) },
              { key: 'registered', label: 'Registered', children: dateTime(agent.registeredAt) },
              { key: 'first', label: 'First seen', children: dateTime(agent.firstSeen) },
              {
                key: 'key',
                label: 'Agent id (API key)',
                children: (
                  <Typography.Text code copyable>
                    {agent.id}
                  </Typography.Text>
                ),
              },
              {
                key: 'labels',
                label: 'Labels',
                span: 2,
                children: Object.keys(agent.labels).length ? <LabelTags labels={agent.labels} /> : '—',
              },
            ]}
          />
          <div>
            <Typography.Title level={5}>Services</Typography.Title>
            <ServicesTable services={agent.services} />
          </div>
          <div>
            <Typography.Title level={5}>History</Typography.Title>
            <History entries={agent.history} />
          </div>
        </Space>
      )}
    </Drawer>
  );
}

function ServicesTable({ services }: { services: AgentService[] }) {
  return (
    <Table<AgentService>
      rowKey="name"
      size="small"
      dataSource={services}
      pagination={false}
      scroll={{ x: true }}
      locale={{ emptyText: 'No services reported' }}
      data-testid="agent-services-table"
      columns={clipped<AgentService>([
        { title: 'Service', dataIndex: 'name' },
        {
          title: 'State',
          dataIndex: 'state',
          width: 100,
          render: (s: string) => <ServiceStateTag state={s} />,
        },
        {
          title: 'Health',
          dataIndex: 'health',
          width: 100,
          render: (h: string | undefined) =>
            h ? (
              <Tag color={HEALTH_COLORS[h] ?? 'default'} style={{ marginInlineEnd: 0 }}>
                {h}
              </Tag>
            ) : (
              '—'
            ),
        },
        { title: 'Restarts', dataIndex: 'restarts', width: 80, align: 'right' },
        { title: 'PID', dataIndex: 'pid', width: 80, align: 'right', render: (v?: number) => v ?? '—' },
        { title: 'Backend', dataIndex: 'backend', width: 90 },
        {
          title: 'Started',
          dataIndex: 'startedAt',
          width: 110,
          render: (v?: string) => <RelativeTime iso={v} />,
        },
        {
          title: 'Reason',
          dataIndex: 'reason',
          ellipsis: true,
          render: (v?: string) => v ?? '—',
        },
      ])}
    />
  );
}

function History({ entries }: { entries: AgentHistoryEntry[] }) {
  if (entries.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No history" />;
  return (
    <Timeline
      data-testid="agent-history"
      items={entries.map((h, i) => ({
        key: `${h.at}-${i}`,
        color: HISTORY_COLORS[h.event] ?? 'blue',
        content: (
          <div data-testid="agent-history-entry" data-event={h.event}>
            <Space size={6} wrap>
              <Typography.Text strong>{h.event}</Typography.Text>
              <span>{h.detail}</span>
            </Space>
            <div>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {dateTime(h.at)} · <RelativeTime iso={h.at} />
              </Typography.Text>
            </div>
          </div>
        ),
      }))}
    />
  );
}
