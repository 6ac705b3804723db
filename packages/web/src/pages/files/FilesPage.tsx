import { Input, Select, Space, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { listAgents } from '../../api/agents.ts';
import { FILE_STATES, type FileState, type FileView, listFiles } from '../../api/files.ts';
import { ListPage } from '../../components/ListPage.tsx';
import { NEWEST_FIRST, Pager } from '../../components/Pager.tsx';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import {
  type FileFilter,
  fileFilterSearch,
  fileListQuery,
  fromLocalInput,
  localInput,
  MIN_PATH_TEXT,
  parseFileFilter,
  pathTooShort,
} from '../../files-filter.ts';
import { bytes } from '../../files-format.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { FileSections, FileStateTag, filePath } from './common.tsx';

const PAGE_SIZE = 50;
const REFRESH_MS = 10_000;

/** The files the agents reported, most recently reported first, filtered through the address. */
export function FilesPage() {
  const [filter, setFilter] = useState<FileFilter>(() => parseFileFilter(window.location.search));
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const [pathText, setPathText] = useState(filter.path ?? '');
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listFiles(fileListQuery(filter, cursor, PAGE_SIZE), signal),
    [filter, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  const agents = useLoad(useCallback((signal: AbortSignal) => listAgents({ limit: 500 }, signal), []));

  useEffect(() => {
    navigate(`/files/list${fileFilterSearch(filter)}`, { replace: true });
  }, [filter]);

  const set = (change: Partial<FileFilter>) => {
    setFilter((f) => ({ ...f, ...change }));
    setTrail(FIRST_PAGE);
  };
  const short = pathTooShort({ ...filter, path: pathText.trim() || undefined });

  return (
    <div data-testid="files-list">
      <FileSections current="/files/list" />
      <ListPage<FileView>
        title="Files"
        actions={
          <RefreshControls auto={auto} onAuto={setAuto} everyMs={REFRESH_MS} reload={reload} testId="files" />
        }
        error={error}
        loading={loading && !data}
        rows={data?.items}
        rowTestId={(f) => `file-row-${f.path}`}
        rowStatus={(f) => f.state}
        locale={{ emptyText: 'No files: agents report the files their watched folders take.' }}
        columns={[
          {
            title: 'Path',
            dataIndex: 'path',
            ellipsis: true,
            render: (path: string, f) => (
              <Typography.Link
                className="opsfleet-mono"
                onClick={() => navigate(filePath(f.id))}
                data-testid="file-open"
              >
                {path}
              </Typography.Link>
            ),
          },
          { title: 'State', dataIndex: 'state', render: (s: FileState) => <FileStateTag state={s} /> },
          { title: 'Agent', key: 'agent', render: (_: unknown, f) => f.agentName ?? f.agentId },
          { title: 'Source', dataIndex: 'source' },
          {
            title: 'Size',
            dataIndex: 'size',
            render: (n: number) => <span className="opsfleet-nowrap">{bytes(n)}</span>,
          },
          { title: 'Reported', dataIndex: 'reportedAt', render: (iso: string) => <RelativeTime iso={iso} /> },
          { title: 'Error', dataIndex: 'error', ellipsis: true, render: (e: string | null) => e ?? '' },
        ]}
      >
        <Space wrap style={{ marginBottom: 16 }}>
          <Select<FileState[]>
            mode="multiple"
            allowClear
            placeholder="any state"
            style={{ minWidth: 200 }}
            value={filter.states}
            options={FILE_STATES.map((s) => ({ value: s, label: s }))}
            onChange={(states) => set({ states })}
            data-testid="files-filter-state"
          />
          <Select<string>
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            placeholder="any agent"
            style={{ width: 200 }}
            value={filter.agent}
            options={(agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))}
            onChange={(agent) => set({ agent })}
            data-testid="files-filter-agent"
          />
          <Input.Search
            allowClear
            placeholder="source"
            style={{ width: 160 }}
            defaultValue={filter.source}
            onSearch={(v) => set({ source: v.trim() || undefined })}
            data-testid="files-filter-source"
          />
          <Input.Search
            allowClear
            placeholder={`path contains (${MIN_PATH_TEXT}+ characters)`}
            style={{ width: 260 }}
            value={pathText}
            status={short ? 'warning' : undefined}
            onChange={(e) => setPathText(e.target.value)}
            onSearch={(v) => set({ path: v.trim() || undefined })}
            data-testid="files-filter-path"
          />
          {(['since', 'until'] as const).map((key) => (
            <Input
              key={key}
              type="datetime-local"
              prefix={key}
              aria-label={key}
              style={{ width: 260 }}
              defaultValue={localInput(filter[key])}
              onBlur={(e) => set({ [key]: fromLocalInput(e.target.value) })}
              data-testid={`files-filter-${key}`}
            />
          ))}
          {short && (
            <Typography.Text type="warning" data-testid="files-filter-path-short">
              The path is searched from {MIN_PATH_TEXT} characters on.
            </Typography.Text>
          )}
        </Space>
      </ListPage>
      <Pager
        trail={trail}
        onChange={setTrail}
        nextCursor={data?.nextCursor}
        labels={NEWEST_FIRST}
        testId="files"
      />
    </div>
  );
}
