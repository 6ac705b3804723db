import {
  Alert,
  App,
  Button,
  type ButtonProps,
  Collapse,
  Descriptions,
  Popconfirm,
  Space,
  Spin,
  Table,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../../api/client.ts';
import { getTask, stepTask, type TargetState, type TaskTarget, targetLog } from '../../api/release.ts';
import { clipped } from '../../components/ListPage.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { dateTime } from '../../format.ts';
import { useLoad, useSession } from '../../hooks.ts';
import { appendLog, EMPTY_LOG, type HeldLog, keepPolling } from '../../release-log.ts';
import { isOver, type StepChoice, stepsFor } from '../../release-task-steps.ts';
import { strategyText } from '../../release-wizard.ts';
import { navigate } from '../../router.ts';
import { TargetStateTag, TaskStateTag, useCanDeploy } from './common.tsx';
import { projectPath } from './ReleaseProjectsPage.tsx';

/** While a task is not over its page asks for it this often. */
const TASK_POLL_MS = 1_500;
const LOG_POLL_MS = 1_000;

/** One deploy task: its state and why it waits, its steps, each target's progress and live log. */
export function ReleaseTaskPage({ id }: { id: string }) {
  const { message } = App.useApp();
  const load = useCallback((signal: AbortSignal) => getTask(id, signal), [id]);
  const { data: task, error, reload } = useLoad(load);
  const [busy, setBusy] = useState<string>();
  const canDeploy = useCanDeploy();
  const username = useSession()?.user.username;

  const loaded = task !== undefined;
  const over = task ? isOver(task.state) : false;
  useEffect(() => {
    if (!loaded || over) return;
    const timer = setInterval(() => {
      if (!document.hidden) reload();
    }, TASK_POLL_MS);
    return () => clearInterval(timer);
  }, [loaded, over, reload]);

  const step = async (choice: StepChoice) => {
    setBusy(choice.step);
    try {
      await stepTask(id, choice.step);
      message.success(choice.past);
    } catch (err) {
      message.error(errorText(err));
    } finally {
      setBusy(undefined);
      reload();
    }
  };

  if (error && !task) return <Alert type="error" showIcon title={error} />;
  if (!task) return <Spin />;
  const targets = task.targets ?? [];
  const steps = canDeploy ? stepsFor(task.state, targets, task.createdBy === username) : [];
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }} data-testid="release-task">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Space size="middle" wrap>
          <Typography.Link onClick={() => navigate(projectPath(task.projectId, 'tasks'))}>
            Tasks
          </Typography.Link>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {task.operation} {task.version.version} to {task.environment.name}
          </Typography.Title>
          <TaskStateTag state={task.state} />
        </Space>
        <Space wrap>
          {steps.map((s) => {
            const button = (
              <Button
                key={s.step}
                danger={s.danger}
                type={s.step === 'approve' || s.step === 'promote' ? 'primary' : 'default'}
                loading={busy === s.step}
                disabled={busy !== undefined && busy !== s.step}
                onClick={s.confirm ? undefined : () => void step(s)}
                data-testid={`task-${s.step}`}
              >
                {s.label}
              </Button>
            );
            return s.confirm ? (
              <Popconfirm
                key={s.step}
                title={s.confirm}
                okText={s.label}
                okButtonProps={{ danger: s.danger, 'data-testid': `task-${s.step}-confirm` } as ButtonProps}
                cancelText="Keep"
                onConfirm={() => step(s)}
              >
                {button}
              </Popconfirm>
            ) : (
              button
            );
          })}
        </Space>
      </Space>
      {task.blockedBy && <Alert type="info" showIcon title={task.blockedBy} data-testid="task-blocked-by" />}
      <Descriptions
        size="small"
        bordered
        column={{ xs: 1, md: 2, xl: 3 }}
        items={[
          {
            key: 'targets',
            label: 'Targets',
            children: task.autoSelectClients
              ? `auto-selected: ${task.sourceVersion ? `those with ${task.sourceVersion} installed` : 'those with anything installed'}`
              : 'picked',
          },
          { key: 'strategy', label: 'Strategy', children: strategyText(task.strategy) },
          { key: 'failure', label: 'On a failure', children: task.failureStrategy },
          {
            key: 'scheduled',
            label: 'Start',
            children: task.scheduledAt ? dateTime(task.scheduledAt) : 'now',
          },
          { key: 'created', label: 'Created', children: `${dateTime(task.createdAt)} by ${task.createdBy}` },
          {
            key: 'approved',
            label: 'Approved',
            children: task.approvedBy ? `${dateTime(task.approvedAt)} by ${task.approvedBy}` : '—',
          },
          ...(task.strategy.type === 'canary'
            ? [
                {
                  key: 'promoted',
                  label: 'Promoted',
                  children: task.promotedBy ? `${dateTime(task.promotedAt)} by ${task.promotedBy}` : '—',
                },
              ]
            : []),
          { key: 'finished', label: 'Finished', children: task.finishedAt ? dateTime(task.finishedAt) : '—' },
        ]}
      />
      <TargetsTable targets={targets} />
      <div>
        <Typography.Title level={5}>Logs</Typography.Title>
        <Collapse
          data-testid="task-logs"
          defaultActiveKey={targets.slice(0, 5).map((t) => t.targetId)}
          items={targets.map((t) => ({
            key: t.targetId,
            label: (
              <Space size={8}>
                <span>{t.agent.name}</span>
                <TargetStateTag state={t.state} />
              </Space>
            ),
            children: (
              <TargetLog taskId={task.id} targetId={t.targetId} state={t.state} name={t.agent.name} />
            ),
          }))}
        />
      </div>
    </Space>
  );
}

function TargetsTable({ targets }: { targets: TaskTarget[] }) {
  return (
    <Table<TaskTarget>
      rowKey="targetId"
      size="middle"
      pagination={false}
      scroll={{ x: true }}
      dataSource={targets}
      data-testid="task-targets"
      onRow={(t) => ({ 'data-testid': `task-target-${t.agent.name}` }) as HTMLAttributes<HTMLElement>}
      columns={clipped<TaskTarget>([
        {
          title: 'Target',
          key: 'agent',
          render: (_: unknown, t) => <span className="opsfleet-nowrap">{t.agent.name}</span>,
        },
        // The server counts batches from 0.
        { title: 'Batch', dataIndex: 'batch', width: 70, align: 'right', render: (b: number) => b + 1 },
        {
          title: 'State',
          dataIndex: 'state',
          width: 110,
          render: (s: TargetState) => <TargetStateTag state={s} />,
        },
        {
          title: 'Started',
          dataIndex: 'startedAt',
          width: 110,
          render: (v: string | null) => (
            <span className="opsfleet-nowrap">
              <RelativeTime iso={v} />
            </span>
          ),
        },
        {
          title: 'Finished',
          dataIndex: 'finishedAt',
          width: 110,
          render: (v: string | null) => (
            <span className="opsfleet-nowrap">
              <RelativeTime iso={v} />
            </span>
          ),
        },
        { title: 'Error', dataIndex: 'error', ellipsis: true, render: (v: string | null) => v ?? '—' },
      ])}
    />
  );
}

/** One target's log: every line so far, then new ones about every second while the target runs. */
function TargetLog({
  taskId,
  targetId,
  state,
  name,
}: {
  taskId: string;
  targetId: string;
  state: TargetState;
  name: string;
}) {
  const [log, setLog] = useState<HeldLog>(EMPTY_LOG);
  const [error, setError] = useState<string>();
  // The log held, for the polling loop (which outlives renders).
  const held = useRef<HeldLog>(EMPTY_LOG);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    const tick = async () => {
      let size = 0;
      let again = false;
      try {
        const page = await targetLog(taskId, targetId, held.current.after, abort.signal);
        if (abort.signal.aborted) return;
        const next = appendLog(held.current, page);
        held.current = next.held;
        setLog(next.held);
        size = page.items.length;
        again = next.restart;
        setError(undefined);
      } catch (err) {
        if (abort.signal.aborted) return;
        setError(errorText(err));
      }
      polls += 1;
      if (again) void tick();
      else if (keepPolling(state, size, polls)) timer = setTimeout(() => void tick(), LOG_POLL_MS);
    };
    void tick();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [taskId, targetId, state]);

  // Follow the end of the log as lines arrive, unless the reader scrolled up.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when lines arrive
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [log]);

  return (
    <div data-testid={`task-log-${name}`}>
      {error && (
        <Alert
          type="warning"
          showIcon
          title={`The log cannot be read: ${error}`}
          style={{ marginBottom: 8 }}
        />
      )}
      {log.lines.length === 0 && !error ? (
        <Typography.Text type="secondary">
          {state === 'pending' ? 'Not started yet.' : 'No lines yet.'}
        </Typography.Text>
      ) : (
        <pre ref={box} className="opsfleet-log" data-testid="task-log-lines">
          {log.lines.map((l) => (
            <div key={l.seq} className={`opsfleet-log-${l.level}`}>
              <span className="opsfleet-log-meta">
                {l.at.slice(11, 19)} {l.stage}
              </span>{' '}
              {l.line}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
