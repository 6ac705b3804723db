import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Select,
  Space,
  Spin,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from '../../api/client.ts';
import {
  type FileTaskSummary,
  getFile,
  listFileActions,
  type TimelineEntry,
  triggerFileAction,
} from '../../api/files.ts';
import { Pager } from '../../components/Pager.tsx';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import { bytes, millis } from '../../files-format.ts';
import { dateTime } from '../../format.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { FileStateTag, TaskStateTag, taskPath, useCanOperateFiles } from './common.tsx';

const REFRESH_MS = 5_000;

/** A file: what the agent reported, where it was uploaded, its timeline and its tasks. */
export function FilePage({ id }: { id: string }) {
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback((signal: AbortSignal) => getFile(id, cursor, signal), [id, cursor]);
  const { data: f, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  const canOperate = useCanOperateFiles();

  if (error && !f) return <Alert type="error" showIcon title={error} />;
  if (loading && !f) return <Spin />;
  if (!f) return null;
  const url = typeof f.object?.url === 'string' ? f.object.url : undefined;
  return (
    <div data-testid="file-page" data-state={f.state}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Space wrap>
          <Typography.Link onClick={() => navigate('/files/list')}>Files</Typography.Link>
          <span>/</span>
          <Typography.Title level={4} style={{ margin: 0 }} className="opsfleet-mono">
            {f.path}
          </Typography.Title>
          <FileStateTag state={f.state} />
        </Space>
        <RefreshControls auto={auto} onAuto={setAuto} everyMs={REFRESH_MS} reload={reload} testId="file" />
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      {f.error && (
        <Alert type="error" showIcon title={f.error} style={{ marginBottom: 16 }} data-testid="file-error" />
      )}
      <Descriptions
        size="small"
        bordered
        column={{ xs: 1, md: 2, xl: 3 }}
        style={{ marginBottom: 16 }}
        items={[
          { key: 'agent', label: 'Agent', children: f.agentName ?? f.agentId },
          { key: 'source', label: 'Source', children: f.source },
          { key: 'size', label: 'Size', children: bytes(f.size) },
          { key: 'uploaded', label: 'Uploaded', children: `${bytes(f.bytesUploaded)} of ${bytes(f.size)}` },
          { key: 'mtime', label: 'Modified', children: dateTime(f.mtime) },
          { key: 'detected', label: 'Detected', children: dateTime(f.detectedAt) },
          { key: 'reported', label: 'Last report', children: <RelativeTime iso={f.reportedAt} /> },
          { key: 'routed', label: 'Routed', children: f.routedAt ? dateTime(f.routedAt) : 'not yet' },
          { key: 'hash', label: 'Hash', children: <span className="opsfleet-mono">{f.hash ?? '—'}</span> },
          {
            key: 'object',
            label: 'Object',
            span: 'filled',
            children: url ? (
              <Typography.Link
                href={url}
                target="_blank"
                rel="noreferrer"
                className="opsfleet-mono"
                data-testid="file-object"
              >
                {url}
              </Typography.Link>
            ) : (
              '—'
            ),
          },
          {
            key: 'labels',
            label: 'Labels',
            span: 'filled',
            children: Object.keys(f.labels).length
              ? Object.entries(f.labels).map(([k, v]) => <Tag key={k}>{`${k}=${v}`}</Tag>)
              : '—',
          },
        ]}
      />
      <Card
        size="small"
        title="Tasks"
        style={{ marginBottom: 16 }}
        extra={canOperate && <TriggerAction fileId={f.id} onTriggered={reload} />}
      >
        <Table<FileTaskSummary>
          size="small"
          rowKey="id"
          pagination={false}
          scroll={{ x: true }}
          dataSource={f.tasks}
          locale={{ emptyText: f.routedAt ? 'No routing rule matched this file' : 'No tasks yet' }}
          onRow={(t) => ({ 'data-testid': `file-task-${t.actionName}`, 'data-status': t.state }) as never}
          columns={[
            {
              title: 'Action',
              dataIndex: 'actionName',
              render: (name: string, t) => (
                <Typography.Link onClick={() => navigate(taskPath(t.id))} data-testid="file-task-open">
                  {name}
                </Typography.Link>
              ),
            },
            {
              title: 'State',
              dataIndex: 'state',
              render: (_: unknown, t) => <TaskStateTag state={t.state} />,
            },
            { title: 'Trigger', dataIndex: 'trigger' },
            {
              title: 'Attempts',
              key: 'attempts',
              render: (_: unknown, t) => `${t.attempts} / ${t.maxAttempts}`,
            },
            { title: 'Duration', dataIndex: 'durationMs', render: (ms: number | null) => millis(ms) },
            { title: 'Created', dataIndex: 'createdAt', render: (iso: string) => <RelativeTime iso={iso} /> },
            {
              title: 'Error',
              dataIndex: 'error',
              render: (e: string | null, t) => (e ? `${t.errorCause ? `${t.errorCause}: ` : ''}${e}` : ''),
            },
          ]}
        />
      </Card>
      <Card size="small" title="Timeline" data-testid="file-timeline">
        <Timeline
          items={f.timeline.items.map((e: TimelineEntry) => ({
            key: e.seq,
            color: e.state === 'failed' ? 'red' : e.state === 'uploaded' ? 'green' : 'blue',
            children: (
              <div data-testid={`file-timeline-${e.seq}`} data-state={e.state}>
                <Space wrap>
                  <FileStateTag state={e.state} />
                  <span>{dateTime(e.at)}</span>
                  <Typography.Text type="secondary">#{e.seq}</Typography.Text>
                  {e.state === 'uploading' && <span>{bytes(e.bytesUploaded)}</span>}
                </Space>
                {e.error && <div className="opsfleet-mono">{e.error}</div>}
              </div>
            ),
          }))}
        />
        <Pager
          trail={trail}
          onChange={setTrail}
          nextCursor={f.timeline.nextCursor}
          labels={['First', 'Earlier', 'Later']}
          testId="file-timeline"
        />
      </Card>
    </div>
  );
}

/** Run an action on this file now, whatever the routing rules say. */
function TriggerAction({ fileId, onTriggered }: { fileId: string; onTriggered: () => void }) {
  const { message } = App.useApp();
  const actions = useLoad(useCallback((signal: AbortSignal) => listFileActions(signal), []));
  const [actionId, setActionId] = useState<string>();
  const [busy, setBusy] = useState(false);
  const trigger = async () => {
    if (!actionId) return;
    setBusy(true);
    try {
      const task = await triggerFileAction(fileId, actionId);
      message.success(`${task.action.name} queued`);
      setActionId(undefined);
      onTriggered();
    } catch (err) {
      message.error(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space>
      <Select<string>
        placeholder="action"
        style={{ width: 200 }}
        value={actionId}
        onChange={setActionId}
        options={(actions.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
        data-testid="file-trigger-action"
      />
      <Button disabled={!actionId} loading={busy} onClick={trigger} data-testid="file-trigger">
        Trigger
      </Button>
    </Space>
  );
}
