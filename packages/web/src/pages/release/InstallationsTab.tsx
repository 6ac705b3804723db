import { Space, Table, type TableColumnsType, Typography } from 'antd';
import { type HTMLAttributes, useCallback } from 'react';
import { allInstallations, listTargets, listVersions } from '../../api/release.ts';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { buildMatrix, type MatrixRow } from '../../release-matrix.ts';
import { navigate } from '../../router.ts';
import { InstallationTag } from './common.tsx';
import { taskPath } from './TasksTab.tsx';

const REFRESH_MS = 5_000;

/** The installation matrix: targets × versions, each cell the state and the task that wrote it. */
export function InstallationsTab({ projectId }: { projectId: string }) {
  const load = useCallback(
    async (signal: AbortSignal) => {
      const [targets, versions, installations] = await Promise.all([
        listTargets(projectId, undefined, signal),
        listVersions(projectId, undefined, signal),
        allInstallations(projectId, signal),
      ]);
      return buildMatrix(targets.items, versions.items, installations);
    },
    [projectId],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);

  const columns: TableColumnsType<MatrixRow> = [
    {
      title: 'Target',
      dataIndex: 'agent',
      fixed: 'start',
      render: (agent: string) => <span className="opsfleet-nowrap">{agent}</span>,
    },
    { title: 'Environment', dataIndex: 'environment' },
    ...(data?.versions ?? []).map((version) => ({
      title: version,
      key: `v:${version}`,
      render: (_: unknown, row: MatrixRow) => {
        const cell = row.cells[version];
        if (!cell) return null;
        return (
          <Space size={4} data-testid="release-matrix-cell" data-version={version} data-state={cell.state}>
            <InstallationTag state={cell.state} />
            {cell.taskId && (
              <Typography.Link
                onClick={() => navigate(taskPath(cell.taskId as string))}
                style={{ fontSize: 12 }}
              >
                task
              </Typography.Link>
            )}
          </Space>
        );
      },
    })),
  ];

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Text type="secondary">
          Rows are targets, columns versions: a target has one version, installed, failed or uninstalled.
        </Typography.Text>
        <RefreshControls
          auto={auto}
          onAuto={setAuto}
          everyMs={REFRESH_MS}
          reload={reload}
          testId="release-matrix"
        />
      </Space>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <Table<MatrixRow>
        rowKey="id"
        size="middle"
        pagination={false}
        scroll={{ x: true }}
        loading={loading && !data}
        dataSource={data?.rows ?? []}
        data-testid="release-matrix"
        onRow={(row) =>
          ({
            'data-testid': `release-matrix-row-${row.environment}-${row.agent}`,
          }) as HTMLAttributes<HTMLElement>
        }
        locale={{ emptyText: 'No targets yet.' }}
        columns={columns}
      />
    </>
  );
}
