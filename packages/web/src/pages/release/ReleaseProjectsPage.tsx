import { Button, Form, Input, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { createProject, listProjects, type Project } from '../../api/release.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { ListPage } from '../../components/ListPage.tsx';
import { Pager } from '../../components/Pager.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import { useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { useCanDeploy } from './common.tsx';

export const projectPath = (id: string, tab?: string) =>
  `/release/projects/${encodeURIComponent(id)}${tab ? `/${tab}` : ''}`;

/** The release projects; a click opens one, "New project" creates one. */
export function ReleaseProjectsPage() {
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback((signal: AbortSignal) => listProjects(cursor, signal), [cursor]);
  const { data, error, loading } = useLoad(load);
  const [creating, setCreating] = useState(false);
  const canDeploy = useCanDeploy();

  return (
    <>
      <ListPage<Project>
        title="Release projects"
        actions={
          canDeploy && (
            <Button type="primary" onClick={() => setCreating(true)} data-testid="release-project-new">
              New project
            </Button>
          )
        }
        error={error}
        loading={loading && !data}
        rows={data?.items}
        locale={{ emptyText: 'No projects yet. A project holds environments, targets and versions.' }}
        data-testid="release-projects-table"
        rowTestId={(p) => `release-project-row-${p.name}`}
        columns={[
          {
            title: 'Project',
            dataIndex: 'name',
            render: (name: string, p) => (
              <Typography.Link
                onClick={() => navigate(projectPath(p.id))}
                data-testid={`release-project-open-${name}`}
              >
                {name}
              </Typography.Link>
            ),
          },
          { title: 'Description', dataIndex: 'description', ellipsis: true },
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 120,
            render: (v: string) => <RelativeTime iso={v} />,
          },
        ]}
      />
      <Pager trail={trail} onChange={setTrail} nextCursor={data?.nextCursor} testId="release-projects" />
      <FormModal<{ name: string; description: string }>
        open={creating}
        title="New project"
        okText="Create"
        name="release-project"
        testId="release-project-form"
        onClose={() => setCreating(false)}
        onSubmit={async (v) => {
          const p = await createProject({ name: v.name.trim(), description: v.description ?? '' });
          navigate(projectPath(p.id));
        }}
      >
        <Form.Item name="name" label="Name" rules={[{ required: true, message: 'a name' }]}>
          <Input placeholder="shop-api" data-testid="release-project-name" />
        </Form.Item>
        <Form.Item name="description" label="Description">
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormModal>
    </>
  );
}
