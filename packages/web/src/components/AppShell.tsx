import {
  AlertOutlined,
  ApiOutlined,
  AuditOutlined,
  BranchesOutlined,
  CloudServerOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  FileSyncOutlined,
  FileTextOutlined,
  InboxOutlined,
  KeyOutlined,
  LockOutlined,
  LogoutOutlined,
  RocketOutlined,
  SendOutlined,
  StopOutlined,
  SyncOutlined,
  TeamOutlined,
  ThunderboltOutlined,
} from '@ant-design/icons';
import { Alert, Button, Grid, Layout, Menu, type MenuProps, Space, Spin, Tooltip, Typography } from 'antd';
import { lazy, type ReactNode, Suspense, useEffect, useState } from 'react';
import { logout } from '../api/client.ts';
import type { User } from '../api/types.ts';
import { AlertsPage } from '../pages/AlertsPage.tsx';
import { navigate, usePath } from '../router.ts';
import { ChangePassword } from './ChangePassword.tsx';
import { RoleTag } from './Tags.tsx';

const OverviewPage = lazy(() =>
  import('../pages/OverviewPage.tsx').then((m) => ({ default: m.OverviewPage })),
);
const SilencesPage = lazy(() =>
  import('../pages/SilencesPage.tsx').then((m) => ({ default: m.SilencesPage })),
);
const AgentsPage = lazy(() => import('../pages/AgentsPage.tsx').then((m) => ({ default: m.AgentsPage })));
const ReleaseProjectsPage = lazy(() =>
  import('../pages/release/ReleaseProjectsPage.tsx').then((m) => ({ default: m.ReleaseProjectsPage })),
);
const ReleaseProjectPage = lazy(() =>
  import('../pages/release/ReleaseProjectPage.tsx').then((m) => ({ default: m.ReleaseProjectPage })),
);
const ReleaseTaskPage = lazy(() =>
  import('../pages/release/ReleaseTaskPage.tsx').then((m) => ({ default: m.ReleaseTaskPage })),
);
const DatasourcesPage = lazy(() =>
  import('../pages/datasources/DatasourcesPage.tsx').then((m) => ({ default: m.DatasourcesPage })),
);
const DatasourcePage = lazy(() =>
  import('../pages/datasources/DatasourcePage.tsx').then((m) => ({ default: m.DatasourcePage })),
);
const RuleGroupsPage = lazy(() =>
  import('../pages/rules/RuleGroupsPage.tsx').then((m) => ({ default: m.RuleGroupsPage })),
);
const RuleGroupPage = lazy(() =>
  import('../pages/rules/RuleGroupPage.tsx').then((m) => ({ default: m.RuleGroupPage })),
);
const SyncTargetsPage = lazy(() =>
  import('../pages/sync/SyncTargetsPage.tsx').then((m) => ({ default: m.SyncTargetsPage })),
);
const SyncTargetPage = lazy(() =>
  import('../pages/sync/SyncTargetPage.tsx').then((m) => ({ default: m.SyncTargetPage })),
);
const FilesOverviewPage = lazy(() =>
  import('../pages/files/FilesOverviewPage.tsx').then((m) => ({ default: m.FilesOverviewPage })),
);
const FilesPage = lazy(() => import('../pages/files/FilesPage.tsx').then((m) => ({ default: m.FilesPage })));
const FilePage = lazy(() => import('../pages/files/FilePage.tsx').then((m) => ({ default: m.FilePage })));
const FileTasksPage = lazy(() =>
  import('../pages/files/FileTasksPage.tsx').then((m) => ({ default: m.FileTasksPage })),
);
const FileTaskPage = lazy(() =>
  import('../pages/files/FileTaskPage.tsx').then((m) => ({ default: m.FileTaskPage })),
);
const FileActionsPage = lazy(() =>
  import('../pages/files/FileActionsPage.tsx').then((m) => ({ default: m.FileActionsPage })),
);
const FileRoutesPage = lazy(() =>
  import('../pages/files/FileRoutesPage.tsx').then((m) => ({ default: m.FileRoutesPage })),
);
const UsersPage = lazy(() => import('../pages/UsersPage.tsx').then((m) => ({ default: m.UsersPage })));
const ApiKeysPage = lazy(() => import('../pages/ApiKeysPage.tsx').then((m) => ({ default: m.ApiKeysPage })));
const AuditPage = lazy(() => import('../pages/AuditPage.tsx').then((m) => ({ default: m.AuditPage })));
const ChannelsPage = lazy(() =>
  import('../pages/ChannelsPage.tsx').then((m) => ({ default: m.ChannelsPage })),
);
const RulesPage = lazy(() => import('../pages/RulesPage.tsx').then((m) => ({ default: m.RulesPage })));
const TemplatesPage = lazy(() =>
  import('../pages/TemplatesPage.tsx').then((m) => ({ default: m.TemplatesPage })),
);
const DeliveriesPage = lazy(() =>
  import('../pages/DeliveriesPage.tsx').then((m) => ({ default: m.DeliveriesPage })),
);
const DeadLettersPage = lazy(() =>
  import('../pages/DeadLettersPage.tsx').then((m) => ({ default: m.DeadLettersPage })),
);

/** The notification pages, open to every logged-in user (the server refuses writes to viewers). */
const NOTIFY_PAGES: {
  path: string;
  title: string;
  testId: string;
  icon: ReactNode;
  page: () => ReactNode;
}[] = [
  {
    path: '/notify/channels',
    title: 'Channels',
    testId: 'nav-notify-channels',
    icon: <SendOutlined />,
    page: () => <ChannelsPage />,
  },
  {
    path: '/notify/rules',
    title: 'Rules',
    testId: 'nav-notify-rules',
    icon: <BranchesOutlined />,
    page: () => <RulesPage />,
  },
  {
    path: '/notify/templates',
    title: 'Templates',
    testId: 'nav-notify-templates',
    icon: <FileTextOutlined />,
    page: () => <TemplatesPage />,
  },
  {
    path: '/notify/deliveries',
    title: 'Deliveries',
    testId: 'nav-notify-deliveries',
    icon: <ApiOutlined />,
    page: () => <DeliveriesPage />,
  },
  {
    path: '/notify/dead-letters',
    title: 'Dead letters',
    testId: 'nav-notify-dead-letters',
    icon: <InboxOutlined />,
    page: () => <DeadLettersPage />,
  },
];

/** Where a path that names no page (and a login) lands. */
export const HOME = '/overview';

interface Route {
  /** The menu entry it belongs to. */
  menu: string;
  title: string;
  page: ReactNode;
}

/** The page for a path, or undefined when the path is unknown (or not this user's). */
function route(path: string, admin: boolean): Route | undefined {
  if (path === HOME) return { menu: HOME, title: 'Overview', page: <OverviewPage /> };
  const alert = /^\/alerts\/(.+)$/.exec(path);
  if (path === '/alerts' || alert) {
    const fingerprint = alert?.[1] ? decodeURIComponent(alert[1]) : undefined;
    return { menu: '/alerts', title: 'Alerts', page: <AlertsPage fingerprint={fingerprint} /> };
  }
  if (path === '/silences') return { menu: '/silences', title: 'Silences', page: <SilencesPage /> };
  if (path === '/agents') return { menu: '/agents', title: 'Agents', page: <AgentsPage /> };
  const release = releaseRoute(path);
  if (release) return release;
  if (path === '/datasources') return { menu: path, title: 'Data sources', page: <DatasourcesPage /> };
  const datasource = /^\/datasources\/([^/]+)$/.exec(path);
  if (datasource?.[1]) {
    const id = decodeURIComponent(datasource[1]);
    return { menu: '/datasources', title: 'Data source', page: <DatasourcePage key={id} id={id} /> };
  }
  if (path === '/alerting-rules') return { menu: path, title: 'Alerting rules', page: <RuleGroupsPage /> };
  const group = /^\/alerting-rules\/([^/]+)$/.exec(path);
  if (group?.[1]) {
    const id = decodeURIComponent(group[1]);
    return { menu: '/alerting-rules', title: 'Rule group', page: <RuleGroupPage key={id} id={id} /> };
  }
  if (path === '/config-sync') return { menu: path, title: 'Config sync', page: <SyncTargetsPage /> };
  const target = /^\/config-sync\/([^/]+)$/.exec(path);
  if (target?.[1]) {
    const id = decodeURIComponent(target[1]);
    return { menu: '/config-sync', title: 'Sync target', page: <SyncTargetPage key={id} id={id} /> };
  }
  const files = filesRoute(path);
  if (files) return files;
  const notify = NOTIFY_PAGES.find((p) => p.path === path);
  if (notify) return { menu: path, title: notify.title, page: notify.page() };
  if (admin && path === '/admin/users') return { menu: path, title: 'Users', page: <UsersPage /> };
  if (admin && path === '/admin/api-keys') return { menu: path, title: 'API keys', page: <ApiKeysPage /> };
  if (admin && path === '/admin/audit') return { menu: path, title: 'Audit log', page: <AuditPage /> };
  return undefined;
}

/** `/files` (overview), `/files/list`, `/files/<id>`, `/files/tasks[/<id>]`, `/files/actions`, `/files/routes`. */
function filesRoute(path: string): Route | undefined {
  const menu = '/files';
  if (path === '/files') return { menu, title: 'Files', page: <FilesOverviewPage /> };
  if (path === '/files/list') return { menu, title: 'Files', page: <FilesPage /> };
  if (path === '/files/tasks') return { menu, title: 'File tasks', page: <FileTasksPage /> };
  if (path === '/files/actions') return { menu, title: 'File actions', page: <FileActionsPage /> };
  if (path === '/files/routes') return { menu, title: 'File routing', page: <FileRoutesPage /> };
  const task = /^\/files\/tasks\/([^/]+)$/.exec(path);
  if (task?.[1]) {
    const id = decodeURIComponent(task[1]);
    return { menu, title: 'File task', page: <FileTaskPage key={id} id={id} /> };
  }
  const file = /^\/files\/([^/]+)$/.exec(path);
  if (file?.[1]) {
    const id = decodeURIComponent(file[1]);
    return { menu, title: 'File', page: <FilePage key={id} id={id} /> };
  }
  return undefined;
}

const PROJECT_TABS = ['environments', 'targets', 'versions', 'tasks', 'installations'] as const;

/** `/release`, `/release/projects/<id>[/<tab>]`, `/release/tasks/<id>`. */
function releaseRoute(path: string): Route | undefined {
  if (path === '/release') return { menu: '/release', title: 'Releases', page: <ReleaseProjectsPage /> };
  const project = /^\/release\/projects\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  const tab = PROJECT_TABS.find((t) => t === (project?.[2] ?? 'environments'));
  if (project?.[1] && tab) {
    const id = decodeURIComponent(project[1]);
    return {
      menu: '/release',
      title: 'Release project',
      page: <ReleaseProjectPage key={id} id={id} tab={tab} />,
    };
  }
  const task = /^\/release\/tasks\/([^/]+)$/.exec(path);
  if (task?.[1]) {
    const id = decodeURIComponent(task[1]);
    return { menu: '/release', title: 'Deploy task', page: <ReleaseTaskPage key={id} id={id} /> };
  }
  return undefined;
}

const nav = (key: string, label: string, testId: string, icon: ReactNode) => ({
  key,
  icon,
  label: <span data-testid={testId}>{label}</span>,
});

/** The logged-in console: side menu, header with the user and logout, and the page of the path. */
export function AppShell({ user }: { user: User }) {
  const path = usePath();
  const admin = user.role === 'admin';
  const current = route(path, admin);
  const [collapsed, setCollapsed] = useState(false);
  // Below 768 px the header keeps only icons, so the page title still fits beside them.
  const narrow = !Grid.useBreakpoint().md;
  const [changing, setChanging] = useState(user.mustChangePassword);

  useEffect(() => {
    if (!current) navigate(HOME, { replace: true });
    else document.title = `${current.title} · opsfleet`;
  }, [current]);

  const items: MenuProps['items'] = [
    nav(HOME, 'Overview', 'nav-overview', <DashboardOutlined />),
    nav('/alerts', 'Alerts', 'nav-alerts', <AlertOutlined />),
    nav('/silences', 'Silences', 'nav-silences', <StopOutlined />),
    nav('/agents', 'Agents', 'nav-agents', <CloudServerOutlined />),
    nav('/release', 'Releases', 'nav-release', <RocketOutlined />),
    nav('/datasources', 'Data sources', 'nav-datasources', <DatabaseOutlined />),
    nav('/alerting-rules', 'Alerting rules', 'nav-alerting-rules', <ThunderboltOutlined />),
    nav('/config-sync', 'Config sync', 'nav-config-sync', <SyncOutlined />),
    nav('/files', 'Files', 'nav-files', <FileSyncOutlined />),
    {
      type: 'group' as const,
      key: 'notify',
      label: collapsed ? '' : 'Notifications',
      children: NOTIFY_PAGES.map((p) => nav(p.path, p.title, p.testId, p.icon)),
    },
    ...(admin
      ? [
          {
            type: 'group' as const,
            key: 'admin',
            label: collapsed ? '' : 'Admin',
            children: [
              nav('/admin/users', 'Users', 'nav-users', <TeamOutlined />),
              nav('/admin/api-keys', 'API keys', 'nav-api-keys', <KeyOutlined />),
              nav('/admin/audit', 'Audit log', 'nav-audit', <AuditOutlined />),
            ],
          },
        ]
      : []),
  ];

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        collapsible
        collapsed={collapsed}
        onCollapse={setCollapsed}
        breakpoint="lg"
        width={200}
        collapsedWidth={64}
        className="opsfleet-sider"
        style={{ position: 'sticky', top: 0, height: '100vh' }}
      >
        <div
          style={{
            color: '#fff',
            fontWeight: 600,
            fontSize: 18,
            padding: collapsed ? '16px 0' : '16px 24px',
            textAlign: collapsed ? 'center' : undefined,
            whiteSpace: 'nowrap',
          }}
        >
          {collapsed ? 'of' : 'opsfleet'}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={current ? [current.menu] : []}
          items={items}
          onClick={({ key }) => navigate(key)}
        />
      </Layout.Sider>
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header className="opsfleet-header">
          <Typography.Title level={4} style={{ margin: 0, whiteSpace: 'nowrap' }}>
            {current?.title}
          </Typography.Title>
          <Space size={narrow ? 4 : 8} align="center">
            <Typography.Text strong className="opsfleet-user" data-testid="current-user">
              {user.username}
            </Typography.Text>
            {!narrow && <RoleTag role={user.role} />}
            <Tooltip title={narrow ? 'Change password' : undefined}>
              <Button
                type="text"
                icon={narrow ? <LockOutlined /> : undefined}
                aria-label="Change password"
                onClick={() => setChanging(true)}
              >
                {narrow ? null : 'Change password'}
              </Button>
            </Tooltip>
            <Tooltip title={narrow ? 'Log out' : undefined}>
              <Button
                icon={narrow ? <LogoutOutlined /> : undefined}
                aria-label="Log out"
                onClick={() => void logout()}
                data-testid="logout"
              >
                {narrow ? null : 'Log out'}
              </Button>
            </Tooltip>
          </Space>
        </Layout.Header>
        <Layout.Content className="opsfleet-content">
          {/* The server refuses everything else until the password is changed, so no page is shown. */}
          {user.mustChangePassword ? (
            <Alert
              type="warning"
              showIcon
              data-testid="must-change-password"
              title="This password was generated at the first start: change it before anything else."
              action={
                <Button size="small" type="primary" onClick={() => setChanging(true)}>
                  Change password
                </Button>
              }
            />
          ) : (
            <div className="opsfleet-page">
              <Suspense fallback={<Spin />}>{current?.page}</Suspense>
            </div>
          )}
        </Layout.Content>
      </Layout>
      <ChangePassword
        username={user.username}
        open={changing}
        onClose={() => setChanging(false)}
        onChanged={() => void logout()}
      />
    </Layout>
  );
}
