import {
  Alert,
  App,
  Button,
  Descriptions,
  Drawer,
  Empty,
  Input,
  Modal,
  Space,
  Spin,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type ActionChoice, actionsFor, canSilence } from '../alert-actions.ts';
import { actOnAlert, getAlert, olderOfAlert } from '../api/alerts.ts';
import { errorText } from '../api/client.ts';
import { matchersFromLabels } from '../api/silences.ts';
import type { AlertInstance, AlertSummary, HistoryEntry } from '../api/types.ts';
import { NEWEST_FIRST, Pager } from '../components/Pager.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { SilenceForm } from '../components/SilenceForm.tsx';
import { LabelTags, SeverityTag, StateTag } from '../components/Tags.tsx';
import { slicePage } from '../cursor-pages.ts';
import { dateTime, STATE_COLORS } from '../format.ts';
import { useLoad, useSession } from '../hooks.ts';
import { navigate } from '../router.ts';

const EVENT_COLORS: Record<string, string> = {
  fire: 'red',
  acknowledge: 'gold',
  unacknowledge: 'orange',
  silence: 'purple',
  unsilence: 'purple',
  resolve: 'green',
  source_resolve: 'green',
  supersede: 'green',
  expire: 'green',
  close: 'gray',
};

const ENDED_BY: Record<NonNullable<AlertInstance['endedBy']>, string> = {
  source: 'by its source',
  time: 'timed out',
  user: 'by hand',
  superseded: 'a newer episode began',
};

const isLink = (value: string) => /^https?:\/\/\S+$/.test(value);

/**
 * One alert in a drawer: what it is, its instances and its history, and the actions on it. It
 * reloads when the live stream reports a change of this alert.
 */
export function AlertDetail({
  fingerprint,
  lastChange,
  onClose,
  onChanged,
}: {
  fingerprint: string | undefined;
  lastChange: AlertSummary | undefined;
  onClose: () => void;
  onChanged: (alert: AlertSummary) => void;
}) {
  const load = useCallback(
    (signal: AbortSignal) => (fingerprint ? getAlert(fingerprint, signal) : Promise.resolve(undefined)),
    [fingerprint],
  );
  const { data, error, loading, reload } = useLoad(load);
  // Viewers read; acting on alerts and silencing them is for operators and admins.
  const canAct = useSession()?.user.role !== 'viewer';
  const [action, setAction] = useState<ActionChoice>();
  const [silencing, setSilencing] = useState(false);

  useEffect(() => {
    if (fingerprint && lastChange?.fingerprint === fingerprint) reload();
  }, [lastChange, fingerprint, reload]);

  const detail = data && data.alert.fingerprint === fingerprint ? data : undefined;
  const alert = detail?.alert;
  const silenceMatchers = useMemo(() => (alert ? matchersFromLabels(alert.labels) : []), [alert]);

  return (
    <Drawer
      open={fingerprint !== undefined}
      onClose={onClose}
      size="min(760px, 100vw)"
      closable={{ placement: 'end' }}
      destroyOnHidden
      title={
        alert ? (
          <Space>
            <span>{alert.name}</span>
            <StateTag state={alert.state} testId="alert-detail-state" />
          </Space>
        ) : (
          'Alert'
        )
      }
    >
      <div data-testid="alert-detail">
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
        {!detail && loading && <Spin />}
        {alert && detail && (
          <Space orientation="vertical" size="large" style={{ width: '100%' }}>
            {canAct && (
              <Space wrap data-testid="alert-actions">
                {actionsFor(alert.state).map((a) => (
                  <Button
                    key={a.action}
                    type={a.action === 'unacknowledge' ? 'default' : 'primary'}
                    onClick={() => setAction(a)}
                    data-testid={`action-${a.action}`}
                  >
                    {a.label}
                  </Button>
                ))}
                {canSilence(alert.state) && (
                  <Button onClick={() => setSilencing(true)} data-testid="action-silence">
                    Silence…
                  </Button>
                )}
              </Space>
            )}

            <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
              <Descriptions.Item label="Severity">
                <SeverityTag severity={alert.severity} />
              </Descriptions.Item>
              <Descriptions.Item label="Source">
                <Space size={6}>
                  <span>{alert.source}</span>
                  {alert.generatorURL && isLink(alert.generatorURL) && (
                    <a
                      href={alert.generatorURL}
                      target="_blank"
                      rel="noreferrer"
                      data-testid="alert-generator-link"
                    >
                      open in source
                    </a>
                  )}
                </Space>
              </Descriptions.Item>
              {detail.rule && (
                <Descriptions.Item label="Rule" span={2}>
                  <Typography.Link
                    data-testid="alert-rule-link"
                    onClick={() => navigate(`/alerting-rules/${detail.rule!.groupId}`)}
                  >
                    {detail.rule.group} / {detail.rule.name}
                  </Typography.Link>
                </Descriptions.Item>
              )}
              <Descriptions.Item label="Started">
                <RelativeTime iso={alert.startsAt} /> ({dateTime(alert.startsAt)})
              </Descriptions.Item>
              <Descriptions.Item label="Last seen">
                <RelativeTime iso={alert.lastSeen} />
              </Descriptions.Item>
              <Descriptions.Item label="Fingerprint" span={2}>
                <Typography.Text code copyable>
                  {alert.fingerprint}
                </Typography.Text>
              </Descriptions.Item>
            </Descriptions>

            <section>
              <Typography.Title level={5}>Labels</Typography.Title>
              <LabelTags labels={alert.labels} />
            </section>

            <section>
              <Typography.Title level={5}>Annotations</Typography.Title>
              {Object.keys(alert.annotations).length === 0 ? (
                <Typography.Text type="secondary">none</Typography.Text>
              ) : (
                <Descriptions size="small" column={1} bordered>
                  {Object.entries(alert.annotations).map(([name, value]) => (
                    <Descriptions.Item key={name} label={name}>
                      {isLink(value) ? (
                        <a href={value} target="_blank" rel="noreferrer">
                          {value}
                        </a>
                      ) : (
                        <span style={{ whiteSpace: 'pre-wrap' }}>{value}</span>
                      )}
                    </Descriptions.Item>
                  ))}
                </Descriptions>
              )}
            </section>

            <section>
              <Typography.Title level={5}>Instances</Typography.Title>
              <Older
                fingerprint={alert.fingerprint}
                what="instances"
                first={detail.instances}
                cursor={detail.instancesCursor}
                pageSize={5}
              >
                {(items) => <Instances instances={items} current={alert.instanceId} />}
              </Older>
            </section>

            <section>
              <Typography.Title level={5}>History</Typography.Title>
              <Older
                fingerprint={alert.fingerprint}
                what="history"
                first={detail.history}
                cursor={detail.historyCursor}
                pageSize={20}
              >
                {(items) => <History entries={items} />}
              </Older>
            </section>
          </Space>
        )}
      </div>
      {alert && (
        <ActionDialog
          alert={alert}
          action={action}
          onClose={() => setAction(undefined)}
          onDone={(updated) => {
            onChanged(updated);
            reload();
          }}
        />
      )}
      <SilenceForm
        open={silencing}
        matchers={silenceMatchers}
        onClose={() => setSilencing(false)}
        onCreated={() => reload()}
      />
    </Drawer>
  );
}

/**
 * The detail's first page of instances or history, and the older ones on request: a flapping
 * alert can have thousands, and the drawer must not load them all to show the newest. Shown
 * `pageSize` at a time with the pager; the page after the last one held is fetched.
 */
function Older<K extends 'instances' | 'history'>({
  fingerprint,
  what,
  first,
  cursor,
  pageSize,
  children,
}: {
  fingerprint: string;
  what: K;
  first: (K extends 'instances' ? AlertInstance : HistoryEntry)[];
  cursor: string | null;
  pageSize: number;
  children: (items: (K extends 'instances' ? AlertInstance : HistoryEntry)[]) => React.ReactNode;
}) {
  const [older, setOlder] = useState<{ items: typeof first; cursor: string | null }>({ items: [], cursor });
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string>();
  useEffect(() => {
    setOlder({ items: [], cursor });
    setPage(1);
  }, [cursor]);
  const shown = slicePage([...first, ...older.items], page, pageSize);
  const go = async (to: number) => {
    if (to > shown.pageCount && older.cursor) {
      try {
        const next = await olderOfAlert(fingerprint, what, older.cursor);
        setOlder((o) => ({ items: [...o.items, ...(next.items as typeof first)], cursor: next.nextCursor }));
        setError(undefined);
      } catch (err) {
        setError(errorText(err));
        return;
      }
    }
    setPage(to);
  };
  return (
    <>
      {children(shown.items)}
      {error && <Alert type="error" showIcon title={error} style={{ marginTop: 8 }} />}
      <Pager
        page={shown.page}
        pageCount={shown.pageCount}
        more={Boolean(older.cursor)}
        onPage={(to) => void go(to)}
        labels={NEWEST_FIRST}
        testId={what}
      />
    </>
  );
}

function Instances({ instances, current }: { instances: AlertInstance[]; current: string | null }) {
  return (
    <Table<AlertInstance>
      size="small"
      rowKey="id"
      pagination={false}
      scroll={{ x: true }}
      dataSource={instances}
      columns={[
        {
          title: 'State',
          dataIndex: 'state',
          render: (state: string, i) => (
            <Space size={4}>
              <Tag color={STATE_COLORS[state]}>{state}</Tag>
              {i.id === current && <Tag>current</Tag>}
            </Space>
          ),
        },
        { title: 'Started', dataIndex: 'starts_at', render: (v: string | null) => dateTime(v) },
        {
          title: 'Acknowledged',
          dataIndex: 'acknowledged_at',
          render: (v: string | null, i) => (v ? `${dateTime(v)} by ${i.acknowledgedBy ?? '?'}` : '—'),
        },
        {
          title: 'Resolved',
          dataIndex: 'resolved_at',
          render: (v: string | null, i) =>
            v ? `${dateTime(v)}${i.endedBy ? ` (${ENDED_BY[i.endedBy]})` : ''}` : '—',
        },
        { title: 'Closed', dataIndex: 'closed_at', render: (v: string | null) => dateTime(v) },
      ]}
    />
  );
}

function History({ entries }: { entries: HistoryEntry[] }) {
  if (entries.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="No history" />;
  return (
    <div data-testid="alert-history">
      <Timeline
        items={entries.map((h, i) => ({
          key: `${h.at}-${i}`,
          color: EVENT_COLORS[h.event] ?? 'blue',
          content: (
            <div data-testid="history-entry" data-event={h.event}>
              <Space size={6} wrap>
                <Typography.Text strong>{h.event}</Typography.Text>
                <span>
                  {h.from ?? '∅'} → {h.to}
                </span>
                <Typography.Text type="secondary">by</Typography.Text>
                <Typography.Text data-testid="history-actor">{h.actor ?? 'unknown'}</Typography.Text>
              </Space>
              {h.note && (
                <div>
                  <Typography.Text italic data-testid="history-note">
                    “{h.note}”
                  </Typography.Text>
                </div>
              )}
              <div>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {dateTime(h.at)} · <RelativeTime iso={h.at} />
                </Typography.Text>
              </div>
            </div>
          ),
        }))}
      />
    </div>
  );
}

function ActionDialog({
  alert,
  action,
  onClose,
  onDone,
}: {
  alert: AlertSummary;
  action: ActionChoice | undefined;
  onClose: () => void;
  onDone: (alert: AlertSummary) => void;
}) {
  const { message } = App.useApp();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (action) {
      setNote('');
      setError(undefined);
    }
  }, [action]);

  const confirm = async () => {
    if (!action) return;
    setBusy(true);
    setError(undefined);
    try {
      const updated = await actOnAlert(alert.fingerprint, action.action, note);
      if (updated.state === alert.state) message.info(`No change: the alert is ${updated.state}`);
      else message.success(`${action.past}: ${updated.name} is ${updated.state}`);
      onDone(updated);
      onClose();
    } catch (err) {
      // A refused transition (409) says why, e.g. "resolve it first, then close it".
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={action !== undefined}
      title={action ? `${action.label}: ${alert.name}` : ''}
      onCancel={onClose}
      footer={[
        <Button key="cancel" onClick={onClose}>
          Cancel
        </Button>,
        <Button key="ok" type="primary" loading={busy} onClick={confirm} data-testid="action-confirm">
          {action?.label}
        </Button>,
      ]}
    >
      <Input.TextArea
        rows={3}
        maxLength={2000}
        placeholder="Note (optional): what you found, what you did"
        value={note}
        onChange={(e) => setNote(e.target.value)}
        data-testid="action-note"
      />
      {error && (
        <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} data-testid="action-error" />
      )}
    </Modal>
  );
}
