import { Button, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import {
  createVersion,
  listVersions,
  updateVersion,
  type Version,
  type VersionStatus,
} from '../../api/release.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { clipped } from '../../components/ListPage.tsx';
import { Pager } from '../../components/Pager.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import { useLoad } from '../../hooks.ts';
import { type VersionValues, versionBody, versionValues } from '../../release-forms.ts';
import { useCanDeploy } from './common.tsx';

const STATUS_COLORS: Record<VersionStatus, string> = {
  draft: 'default',
  active: 'green',
  deprecated: 'orange',
};
const SCRIPTS = [
  ['installScript', 'Install script (a target with nothing installed)'],
  ['updateScript', 'Update script (a target with another version)'],
  ['rollbackScript', 'Rollback script'],
  ['uninstallScript', 'Uninstall script'],
] as const;

/** A project's versions: scripts, artifact with its SHA-256, status; create and edit. */
export function VersionsTab({ projectId }: { projectId: string }) {
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listVersions(projectId, cursor, signal),
    [projectId, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [editing, setEditing] = useState<Version | 'new'>();
  const canDeploy = useCanDeploy();
  const current = editing === 'new' ? undefined : editing;

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'flex-end', marginBottom: 12 }}>
        {canDeploy && (
          <Button onClick={() => setEditing('new')} data-testid="release-version-new">
            New version
          </Button>
        )}
      </Space>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <Table<Version>
        rowKey="id"
        size="middle"
        pagination={false}
        scroll={{ x: true }}
        loading={loading && !data}
        dataSource={data?.items ?? []}
        data-testid="release-versions-table"
        locale={{ emptyText: 'No versions: a version holds the scripts the agents run.' }}
        columns={clipped<Version>([
          {
            title: 'Version',
            dataIndex: 'version',
            render: (v: string, row) => (
              <Typography.Link onClick={() => setEditing(row)} data-testid={`release-version-edit-${v}`}>
                {v}
              </Typography.Link>
            ),
          },
          {
            title: 'Status',
            dataIndex: 'status',
            width: 110,
            render: (s: VersionStatus) => (
              <Tag color={STATUS_COLORS[s]} style={{ marginInlineEnd: 0 }}>
                {s}
              </Tag>
            ),
          },
          {
            title: 'Scripts',
            key: 'scripts',
            render: (_: unknown, v) =>
              SCRIPTS.filter(([k]) => v[k])
                .map(([k]) => k.replace('Script', ''))
                .join(', ') || '—',
          },
          {
            title: 'Artifact',
            dataIndex: 'artifactUrl',
            ellipsis: true,
            render: (url: string | null, v) =>
              url ? (
                <span>
                  {url}{' '}
                  <Typography.Text type="secondary" className="opsfleet-mono">
                    sha256 {v.artifactSha256?.slice(0, 12)}…
                  </Typography.Text>
                </span>
              ) : (
                '—'
              ),
          },
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 120,
            render: (v: string) => <RelativeTime iso={v} />,
          },
        ])}
      />
      <Pager trail={trail} onChange={setTrail} nextCursor={data?.nextCursor} testId="release-versions" />
      <FormModal<VersionValues>
        open={editing !== undefined}
        title={current ? `Version ${current.version}` : 'New version'}
        okText={current ? 'Save' : 'Create'}
        width={760}
        name="release-version"
        testId="release-version-form"
        values={versionValues(current)}
        onClose={() => setEditing(undefined)}
        onSubmit={async (v) => {
          const body = versionBody(v);
          if (current) await updateVersion(projectId, current.id, body);
          else await createVersion(projectId, body);
          reload();
        }}
      >
        <Space wrap>
          <Form.Item name="version" label="Version" rules={[{ required: true, message: 'e.g. 1.4.2' }]}>
            <Input placeholder="1.4.2" data-testid="release-version-name" />
          </Form.Item>
          <Form.Item name="status" label="Status">
            <Select
              style={{ width: 140 }}
              options={(['draft', 'active', 'deprecated'] as const).map((s) => ({ value: s, label: s }))}
            />
          </Form.Item>
        </Space>
        <Form.Item name="artifactUrl" label="Artifact URL (http or https; empty: none)">
          <Input placeholder="https://artifacts.example/shop-1.4.2.tgz" />
        </Form.Item>
        <Form.Item
          name="artifactSha256"
          label="Artifact SHA-256 (required with a URL)"
          rules={[{ pattern: /^([0-9a-fA-F]{64})?$/, message: '64 hex digits' }]}
        >
          <Input className="opsfleet-mono" />
        </Form.Item>
        {SCRIPTS.map(([name, label]) => (
          <Form.Item key={name} name={name} label={label}>
            <Input.TextArea rows={3} className="opsfleet-mono" data-testid={`release-version-${name}`} />
          </Form.Item>
        ))}
      </FormModal>
    </>
  );
}
