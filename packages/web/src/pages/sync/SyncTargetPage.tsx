import {
  Alert,
  App,
  Button,
  type ButtonProps,
  Card,
  Descriptions,
  Popconfirm,
  Space,
  Spin,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useState } from 'react';
import { errorText } from '../../api/client.ts';
import {
  deleteSyncTarget,
  getSyncTarget,
  pinSyncVersion,
  type SyncTarget,
  type SyncVersion,
  syncDiff,
  syncDryRun,
  syncVersions,
} from '../../api/sync-targets.ts';
import { DiffLines } from '../../components/DiffLines.tsx';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { dateTime } from '../../format.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { peerSummary, syncSummary } from '../../sync-status.ts';
import { useCanWriteRules } from '../rules/RuleGroupsPage.tsx';
import { loadSyncNames, nameOf, SyncBadge, SyncTargetForm } from './SyncTargetsPage.tsx';

/** The ConfigAgent reports on its own schedule: the page follows it. */
const REFRESH_MS = 10_000;

/** A sync target: its state and last error, its versions with diff and pin, and a dry run. */
export function SyncTargetPage({ id }: { id: string }) {
  const { message } = App.useApp();
  const load = useCallback(
    async (signal: AbortSignal) => {
      const [target, names] = await Promise.all([getSyncTarget(id, signal), loadSyncNames(signal)]);
      return { target, names };
    },
    [id],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  const [editing, setEditing] = useState(false);
  const canWrite = useCanWriteRules();

  if (error && !data) return <Alert type="error" showIcon title={error} />;
  if (loading && !data) return <Spin />;
  if (!data) return null;
  const { target: t, names } = data;
  const summary = syncSummary(t);
  const peer = peerSummary(t.peer);

  const pin = async (version: number | null) => {
    try {
      await pinSyncVersion(t.id, version);
      message.success(
        version === null ? 'Unpinned: it follows the newest version' : `Pinned version ${version}`,
      );
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };
  const remove = async () => {
    try {
      await deleteSyncTarget(t.id);
      message.success(`${t.name} deleted`);
      navigate('/config-sync');
    } catch (err) {
      message.error(errorText(err));
    }
  };

  // Versions and the dry run change with a new version, a pin and what the peer applied.
  const changes = `${t.latestVersion}:${t.pinnedVersion}:${t.appliedVersion}`;
  return (
    <div data-testid="sync-target-page">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Space wrap>
          <Typography.Link onClick={() => navigate('/config-sync')}>Config sync</Typography.Link>
          <span>/</span>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t.name}
          </Typography.Title>
          <SyncBadge target={t} />
        </Space>
        <Space wrap>
          <RefreshControls
            auto={auto}
            onAuto={setAuto}
            everyMs={REFRESH_MS}
            reload={reload}
            testId="sync-target"
          />
          {canWrite && (
            <Button onClick={() => setEditing(true)} data-testid="sync-target-edit">
              Edit
            </Button>
          )}
          {canWrite && (
            <Popconfirm title={`Delete ${t.name} and its versions?`} onConfirm={() => remove()}>
              <Button danger>Delete</Button>
            </Popconfirm>
          )}
        </Space>
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Typography.Paragraph data-testid="sync-detail">{summary.detail}</Typography.Paragraph>
      <Descriptions
        size="small"
        bordered
        column={{ xs: 1, md: 2, xl: 3 }}
        style={{ marginBottom: 16 }}
        items={[
          { key: 'kind', label: 'Kind', children: t.kind },
          { key: 'agent', label: 'Host agent', children: nameOf(names, 'agent', t.agentId) },
          t.kind === 'alertmanager'
            ? {
                key: 'webhook',
                label: 'Webhook URL',
                children: <span className="opsfleet-mono">{t.webhookUrl}</span>,
              }
            : { key: 'source', label: 'Data source', children: nameOf(names, 'source', t.datasourceId) },
          {
            key: 'desired',
            label: 'Desired version',
            children: (
              <Space size={4} wrap>
                <span data-testid="sync-desired">{t.desiredVersion ?? '—'}</span>
                {t.pinnedVersion !== null && (
                  <>
                    <Tag data-testid="sync-pinned">pinned</Tag>
                    {canWrite && (
                      <Button size="small" onClick={() => void pin(null)} data-testid="sync-unpin">
                        Unpin
                      </Button>
                    )}
                  </>
                )}
              </Space>
            ),
          },
          { key: 'latest', label: 'Newest version', children: t.latestVersion ?? '—' },
          {
            key: 'applied',
            label: 'Applied version',
            children: <span data-testid="sync-applied">{t.appliedVersion ?? '—'}</span>,
          },
          {
            key: 'attempt',
            label: 'Last attempt',
            children: <RelativeTime iso={t.lastAttemptAt} />,
          },
          {
            key: 'peer',
            label: 'Peer',
            children: (
              <Space size={4} wrap>
                <Tag color={peer.color} title={peer.detail} data-testid="sync-peer">
                  {peer.label}
                </Tag>
                {t.peer && <RelativeTime iso={t.peer.checkedAt} />}
              </Space>
            ),
          },
          ...(t.kind === 'alertmanager'
            ? [
                {
                  key: 'password',
                  label: 'Password file',
                  children: <span className="opsfleet-mono">{t.passwordFile}</span>,
                },
                {
                  key: 'key',
                  label: 'Ingest key',
                  children: (
                    <span data-testid="sync-ingest-key">
                      {t.hasIngestKey ? 'held by the server, written there by the ConfigAgent' : 'none yet'}
                    </span>
                  ),
                },
              ]
            : []),
        ]}
      />
      {t.lastError !== null && (
        <Card
          size="small"
          title={`Last error${t.lastAttemptAt ? ` (${dateTime(t.lastAttemptAt)})` : ''}`}
          style={{ marginBottom: 16 }}
        >
          <pre
            className="opsfleet-mono opsfleet-diff"
            data-testid="sync-last-error"
            style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
          >
            {t.lastError}
          </pre>
        </Card>
      )}
      <Tabs
        items={[
          {
            key: 'versions',
            label: <span data-testid="tab-sync-versions">Versions</span>,
            children: <Versions key={changes} target={t} canWrite={canWrite} onPin={pin} />,
          },
          {
            key: 'dry-run',
            label: <span data-testid="tab-sync-dry-run">Dry run</span>,
            children: <DryRunView key={changes} target={t} />,
          },
        ]}
      />
      <SyncTargetForm
        editing={editing ? t : undefined}
        names={names}
        onClose={() => setEditing(false)}
        onSaved={reload}
      />
    </div>
  );
}

/** The versions newest first: pick two to see what changed, pin one to roll back to it. */
function Versions({
  target,
  canWrite,
  onPin,
}: {
  target: SyncTarget;
  canWrite: boolean;
  onPin: (version: number) => Promise<void>;
}) {
  const load = useCallback((signal: AbortSignal) => syncVersions(target.id, signal), [target.id]);
  const { data, error } = useLoad(load);
  const [picked, setPicked] = useState<number[]>([]);
  const [from, to] = [...picked].sort((a, b) => a - b);
  return (
    <div data-testid="sync-versions-list">
      {error && <Alert type="error" showIcon title={error} />}
      <Typography.Paragraph type="secondary">
        A version is added when what the peer should load changes. Pick two to see how the files changed.
      </Typography.Paragraph>
      <Table<SyncVersion>
        rowKey="version"
        size="small"
        pagination={false}
        scroll={{ x: true }}
        dataSource={data?.items ?? []}
        rowSelection={{
          selectedRowKeys: picked,
          // The newest two picks: a third pick lets the oldest go.
          onChange: (keys) => setPicked((keys as number[]).slice(-2)),
          hideSelectAll: true,
        }}
        onRow={(v) => ({ 'data-testid': `sync-version-row-${v.version}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: 'Version',
            dataIndex: 'version',
            render: (n: number) => (
              <Space size={4}>
                <span>{n}</span>
                {n === target.desiredVersion && <Tag color="blue">desired</Tag>}
                {n === target.appliedVersion && <Tag color="green">applied</Tag>}
              </Space>
            ),
          },
          {
            title: 'Hash',
            dataIndex: 'hash',
            render: (hash: string) => (
              <span className="opsfleet-mono" title={hash}>
                {hash.slice(0, 12)}
              </span>
            ),
          },
          {
            title: 'Files',
            dataIndex: 'files',
            render: (files: string[]) => <span className="opsfleet-mono">{files.join(', ') || '—'}</span>,
          },
          { title: 'Created', dataIndex: 'createdAt', render: (iso: string) => <RelativeTime iso={iso} /> },
          {
            title: '',
            key: 'pin',
            render: (_: unknown, v) =>
              canWrite &&
              v.version !== target.pinnedVersion && (
                <Popconfirm
                  title={`Roll back to version ${v.version}? The peer loads it until it is unpinned.`}
                  okText="Pin"
                  okButtonProps={{ 'data-testid': 'sync-pin-confirm' } as ButtonProps}
                  onConfirm={() => onPin(v.version)}
                >
                  <Button size="small" data-testid="sync-pin">
                    Pin
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {from !== undefined && to !== undefined && <VersionDiff targetId={target.id} from={from} to={to} />}
    </div>
  );
}

function VersionDiff({ targetId, from, to }: { targetId: string; from: number; to: number }) {
  const load = useCallback(
    (signal: AbortSignal) => syncDiff(targetId, from, to, signal),
    [targetId, from, to],
  );
  const { data, error } = useLoad(load);
  if (error) return <Alert type="error" showIcon title={error} />;
  if (!data) return <Spin />;
  return (
    <Card size="small" title={`Version ${from} → ${to}`} style={{ marginTop: 16 }}>
      {data.diff ? (
        <DiffLines diff={data.diff} testId="sync-diff" />
      ) : (
        <Typography.Text data-testid="sync-diff-none">The two versions are the same.</Typography.Text>
      )}
    </Card>
  );
}

/** What a sync would change on the peer now: the version it applied against what it should load. */
function DryRunView({ target }: { target: SyncTarget }) {
  const load = useCallback((signal: AbortSignal) => syncDryRun(target.id, signal), [target.id]);
  const { data, error } = useLoad(load);
  if (error) return <Alert type="error" showIcon title={error} />;
  if (!data) return <Spin />;
  const from =
    data.appliedVersion === null ? 'nothing applied yet' : `applied version ${data.appliedVersion}`;
  return (
    <div data-testid="sync-dry-run" data-changed={String(data.changed)}>
      <Typography.Paragraph type="secondary">
        From {from} to what it should load now
        {target.pinnedVersion !== null ? ` (pinned version ${target.pinnedVersion})` : ''}.
      </Typography.Paragraph>
      {data.changed ? (
        <DiffLines diff={data.diff} testId="sync-dry-run-diff" />
      ) : (
        <Typography.Text>Nothing to change: the peer loads what it should.</Typography.Text>
      )}
    </div>
  );
}
