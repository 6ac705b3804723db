import { Space, Table, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { listTasks, type Task, type TaskState } from '../../api/release.ts';
import { clipped } from '../../components/ListPage.tsx';
import { NEWEST_FIRST, Pager } from '../../components/Pager.tsx';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { strategyText } from '../../release-wizard.ts';
import { navigate } from '../../router.ts';
import { TaskStateTag } from './common.tsx';

const REFRESH_MS = 5_000;

export const taskPath = (id: string) => `/release/tasks/${encodeURIComponent(id)}`;

/** A project's deploy tasks, newest first; a click opens one. */
export function TasksTab({ projectId }: { projectId: string }) {
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listTasks(projectId, cursor, signal),
    [projectId, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'flex-end', marginBottom: 12 }}>
        <RefreshControls
          auto={auto}
          onAuto={setAuto}
          everyMs={REFRESH_MS}
          reload={reload}
          testId="release-tasks"
        />
      </Space>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <Table<Task>
        rowKey="id"
        size="middle"
        pagination={false}
        scroll={{ x: true }}
        loading={loading && !data}
        dataSource={data?.items ?? []}
        data-testid="release-tasks-table"
        locale={{ emptyText: 'No tasks yet: "Deploy…" starts one.' }}
        columns={clipped<Task>([
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 120,
            render: (v: string, t) => (
              <Typography.Link onClick={() => navigate(taskPath(t.id))} data-testid="release-task-open">
                <RelativeTime iso={v} />
              </Typography.Link>
            ),
          },
          {
            title: 'State',
            dataIndex: 'state',
            width: 150,
            render: (s: TaskState) => <TaskStateTag state={s} />,
          },
          { title: 'Operation', dataIndex: 'operation', width: 100 },
          { title: 'Version', key: 'version', render: (_: unknown, t) => t.version.version },
          { title: 'Environment', key: 'env', render: (_: unknown, t) => t.environment.name },
          {
            title: 'Strategy',
            key: 'strategy',
            ellipsis: true,
            render: (_: unknown, t) => strategyText(t.strategy),
          },
          { title: 'By', dataIndex: 'createdBy', width: 120 },
        ])}
      />
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="release-tasks"
      />
    </>
  );
}
