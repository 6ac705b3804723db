import { Alert, Button, Space, Spin, Tabs, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { getProject } from '../../api/release.ts';
import { useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { useCanDeploy } from './common.tsx';
import { DeployWizard } from './DeployWizard.tsx';
import { EnvironmentsTab } from './EnvironmentsTab.tsx';
import { InstallationsTab } from './InstallationsTab.tsx';
import { projectPath } from './ReleaseProjectsPage.tsx';
import { TargetsTab } from './TargetsTab.tsx';
import { TasksTab } from './TasksTab.tsx';
import { VersionsTab } from './VersionsTab.tsx';

export type ProjectTab = 'environments' | 'targets' | 'versions' | 'tasks' | 'installations';

/** One project: its environments, targets, versions, tasks and installation matrix, and "Deploy…". */
export function ReleaseProjectPage({ id, tab }: { id: string; tab: ProjectTab }) {
  const load = useCallback((signal: AbortSignal) => getProject(id, signal), [id]);
  const { data: project, error } = useLoad(load);
  const [deploying, setDeploying] = useState(false);
  const canDeploy = useCanDeploy();

  if (error) return <Alert type="error" showIcon title={error} />;
  if (!project) return <Spin />;
  return (
    <div data-testid="release-project">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Space size="middle" wrap>
          <Typography.Link onClick={() => navigate('/release')}>Projects</Typography.Link>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="release-project-name">
            {project.name}
          </Typography.Title>
          {project.description && <Typography.Text type="secondary">{project.description}</Typography.Text>}
        </Space>
        {canDeploy && (
          <Button type="primary" onClick={() => setDeploying(true)} data-testid="release-deploy">
            Deploy…
          </Button>
        )}
      </Space>
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(projectPath(id, key))}
        destroyOnHidden
        items={[
          { key: 'environments', label: 'Environments', children: <EnvironmentsTab projectId={id} /> },
          { key: 'targets', label: 'Targets', children: <TargetsTab projectId={id} /> },
          { key: 'versions', label: 'Versions', children: <VersionsTab projectId={id} /> },
          { key: 'tasks', label: 'Tasks', children: <TasksTab projectId={id} /> },
          { key: 'installations', label: 'Installations', children: <InstallationsTab projectId={id} /> },
        ].map((item) => ({
          ...item,
          label: <span data-testid={`release-tab-${item.key}`}>{item.label}</span>,
        }))}
      />
      <DeployWizard projectId={id} open={deploying} onClose={() => setDeploying(false)} />
    </div>
  );
}
