import { Input, Select, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import {
  type FileTask,
  listFileActions,
  listFileTasks,
  TASK_STATES,
  type TaskState,
} from '../../api/files.ts';
import { ListPage } from '../../components/ListPage.tsx';
import { NEWEST_FIRST, Pager } from '../../components/Pager.tsx';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import { parseTaskFilter, type TaskFilter, taskFilterSearch, taskListQuery } from '../../files-filter.ts';
import { millis } from '../../files-format.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { FileSections, filePath, TaskStateTag, taskPath } from './common.tsx';

const PAGE_SIZE = 50;
const REFRESH_MS = 5_000;

/** The tasks routing rules and people gave files, newest first, filtered through the address. */
export function FileTasksPage() {
  const [filter, setFilter] = useState<TaskFilter>(() => parseTaskFilter(window.location.search));
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listFileTasks(taskListQuery(filter, cursor, PAGE_SIZE), signal),
    [filter, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  const actions = useLoad(useCallback((signal: AbortSignal) => listFileActions(signal), []));

  useEffect(() => {
    navigate(`/files/tasks${taskFilterSearch(filter)}`, { replace: true });
  }, [filter]);

  const set = (change: Partial<TaskFilter>) => {
    setFilter((f) => ({ ...f, ...change }));
    setTrail(FIRST_PAGE);
  };

  return (
    <div data-testid="file-tasks">
      <FileSections current="/files/tasks" />
      <ListPage<FileTask>
        title="Tasks"
        actions={
          <RefreshControls
            auto={auto}
            onAuto={setAuto}
            everyMs={REFRESH_MS}
            reload={reload}
            testId="file-tasks"
          />
        }
        error={error}
        loading={loading && !data}
        rows={data?.items}
        rowTestId={(t) => `file-task-row-${t.action.name}`}
        rowStatus={(t) => t.state}
        locale={{ emptyText: 'No tasks: routing rules give uploaded files their tasks.' }}
        columns={[
          {
            title: 'Task',
            key: 'task',
            render: (_: unknown, t) => (
              <Typography.Link onClick={() => navigate(taskPath(t.id))} data-testid="file-task-open">
                {t.action.name}
              </Typography.Link>
            ),
          },
          { title: 'Kind', key: 'kind', render: (_: unknown, t) => t.action.kind },
          {
            title: 'State',
            dataIndex: 'state',
            render: (_: unknown, t) => <TaskStateTag state={t.state} cancelling={t.cancelRequested} />,
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
            title: 'File',
            dataIndex: 'fileId',
            render: (id: string) => (
              <Typography.Link onClick={() => navigate(filePath(id))}>open</Typography.Link>
            ),
          },
          { title: 'Error', dataIndex: 'error', ellipsis: true, render: (e: string | null) => e ?? '' },
        ]}
      >
        <Space wrap style={{ marginBottom: 16 }}>
          <Select<TaskState>
            allowClear
            placeholder="any state"
            style={{ width: 160 }}
            value={filter.state}
            options={TASK_STATES.map((s) => ({ value: s, label: s }))}
            onChange={(state) => set({ state })}
            data-testid="file-tasks-filter-state"
          />
          <Select<string>
            allowClear
            placeholder="any action"
            style={{ width: 200 }}
            value={filter.action}
            options={(actions.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            onChange={(action) => set({ action })}
            data-testid="file-tasks-filter-action"
          />
          {filter.file && (
            <Input
              readOnly
              prefix="file"
              value={filter.file}
              allowClear
              onChange={(e) => !e.target.value && set({ file: undefined })}
              style={{ width: 360 }}
            />
          )}
        </Space>
      </ListPage>
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="file-tasks"
      />
    </div>
  );
}
