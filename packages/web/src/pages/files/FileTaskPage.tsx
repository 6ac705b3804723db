import { Alert, App, Button, Card, Descriptions, Popconfirm, Space, Spin, Table, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from '../../api/client.ts';
import { cancelFileTask, type FileTaskDetail, getFileTask, retryFileTask } from '../../api/files.ts';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { millis } from '../../files-format.ts';
import { dateTime } from '../../format.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { filePath, TaskStateTag, taskPath, useCanOperateFiles } from './common.tsx';

const REFRESH_MS = 3_000;
const FINISHED = ['done', 'failed', 'cancelled'];

/** A task: its state, attempts, output and history; retry and cancel for operators. */
export function FileTaskPage({ id }: { id: string }) {
  const { message } = App.useApp();
  const load = useCallback((signal: AbortSignal) => getFileTask(id, signal), [id]);
  const { data: t, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  const canOperate = useCanOperateFiles();
  // Why the server refused the last retry or cancel (a 409 says the task's state does not allow it).
  const [refusal, setRefusal] = useState<string>();

  if (error && !t) return <Alert type="error" showIcon title={error} />;
  if (loading && !t) return <Spin />;
  if (!t) return null;

  const act = async (what: 'retry' | 'cancel') => {
    setRefusal(undefined);
    try {
      await (what === 'retry' ? retryFileTask(t.id) : cancelFileTask(t.id));
      message.success(what === 'retry' ? 'Retry queued' : 'Cancel requested');
      reload();
    } catch (err) {
      setRefusal(errorText(err));
    }
  };

  return (
    <div data-testid="file-task-page" data-state={t.state}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Space wrap>
          <Typography.Link onClick={() => navigate('/files/tasks')}>Tasks</Typography.Link>
          <span>/</span>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t.action.name}
          </Typography.Title>
          <TaskStateTag state={t.state} cancelling={t.cancelRequested} />
        </Space>
        <Space wrap>
          <RefreshControls
            auto={auto}
            onAuto={setAuto}
            everyMs={REFRESH_MS}
            reload={reload}
            testId="file-task"
          />
          {canOperate && (
            <Button onClick={() => act('retry')} data-testid="file-task-retry">
              Retry
            </Button>
          )}
          {canOperate && (
            <Popconfirm
              title="Cancel this task?"
              onConfirm={() => act('cancel')}
              okButtonProps={{ 'data-testid': 'file-task-cancel-confirm' } as never}
            >
              <Button danger disabled={FINISHED.includes(t.state)} data-testid="file-task-cancel">
                Cancel
              </Button>
            </Popconfirm>
          )}
        </Space>
      </Space>
      {refusal && (
        <Alert
          type="warning"
          showIcon
          closable={{ onClose: () => setRefusal(undefined) }}
          title={refusal}
          style={{ marginBottom: 16 }}
          data-testid="file-task-refusal"
        />
      )}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      {t.error && (
        <Alert
          type="error"
          showIcon
          title={t.errorCause ? `${t.errorCause}: ${t.error}` : t.error}
          style={{ marginBottom: 16 }}
          data-testid="file-task-error"
        />
      )}
      <Descriptions
        size="small"
        bordered
        column={{ xs: 1, md: 2, xl: 3 }}
        style={{ marginBottom: 16 }}
        items={[
          {
            key: 'file',
            label: 'File',
            children: (
              <Typography.Link onClick={() => navigate(filePath(t.fileId))} data-testid="file-task-file">
                open the file
              </Typography.Link>
            ),
          },
          { key: 'action', label: 'Action', children: `${t.action.name} (${t.action.kind})` },
          { key: 'trigger', label: 'Trigger', children: t.trigger },
          {
            key: 'attempts',
            label: 'Attempts',
            children: <span data-testid="file-task-attempts">{`${t.attempts} / ${t.maxAttempts}`}</span>,
          },
          { key: 'duration', label: 'Duration', children: millis(t.durationMs) },
          {
            key: 'next',
            label: 'Next attempt',
            children: FINISHED.includes(t.state) ? '—' : <RelativeTime iso={t.nextAttemptAt} />,
          },
          { key: 'started', label: 'Started', children: dateTime(t.startedAt) },
          { key: 'finished', label: 'Finished', children: dateTime(t.finishedAt) },
          {
            key: 'after',
            label: 'After',
            children: t.afterTaskId ? (
              <Typography.Link onClick={() => navigate(taskPath(t.afterTaskId!))}>
                the task before
              </Typography.Link>
            ) : t.fallbackOf ? (
              <Typography.Link onClick={() => navigate(taskPath(t.fallbackOf!))}>
                the failed task (fallback)
              </Typography.Link>
            ) : (
              '—'
            ),
          },
          {
            key: 'key',
            label: 'Idempotency key',
            span: 'filled',
            children: <span className="opsfleet-mono">{t.idempotencyKey}</span>,
          },
        ]}
      />
      <Card size="small" title="Output" style={{ marginBottom: 16 }}>
        {t.output ? (
          <pre className="opsfleet-log" data-testid="file-task-output">
            {t.output}
          </pre>
        ) : (
          <Typography.Text type="secondary">Nothing printed yet.</Typography.Text>
        )}
        {t.result && (
          <pre className="opsfleet-log" style={{ marginTop: 8 }} data-testid="file-task-result">
            {JSON.stringify(t.result, null, 2)}
          </pre>
        )}
      </Card>
      <Card size="small" title="History">
        <Table<FileTaskDetail['history'][number]>
          size="small"
          rowKey={(h) => `${h.at}-${h.from}-${h.to}`}
          pagination={false}
          scroll={{ x: true }}
          dataSource={t.history}
          onRow={(h) => ({ 'data-testid': `file-task-history-${h.to}` }) as never}
          columns={[
            { title: 'At', dataIndex: 'at', render: (iso: string) => dateTime(iso) },
            { title: 'From', dataIndex: 'from', render: (s: string | null) => s ?? '—' },
            { title: 'To', dataIndex: 'to' },
            { title: 'Reason', dataIndex: 'reason', render: (s: string | null) => s ?? '' },
            { title: 'By', dataIndex: 'actor', render: (s: string | null) => s ?? '' },
          ]}
        />
      </Card>
    </div>
  );
}
