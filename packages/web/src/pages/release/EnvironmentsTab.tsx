import { Button, Checkbox, Form, Input, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import {
  createEnvironment,
  type Environment,
  listEnvironments,
  updateEnvironment,
  WEEKDAYS,
} from '../../api/release.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { clipped } from '../../components/ListPage.tsx';
import { useLoad } from '../../hooks.ts';
import {
  type EnvironmentValues,
  environmentBody,
  environmentValues,
  windowText,
} from '../../release-forms.ts';
import { useCanDeploy } from './common.tsx';

const HHMM = [{ required: true, pattern: /^([01]\d|2[0-3]):[0-5]\d$/, message: 'HH:MM' }];

/** A project's environments: release window and approval; create and edit. */
export function EnvironmentsTab({ projectId }: { projectId: string }) {
  const load = useCallback((signal: AbortSignal) => listEnvironments(projectId, signal), [projectId]);
  const { data, error, loading, reload } = useLoad(load);
  const [editing, setEditing] = useState<Environment | 'new'>();
  const canDeploy = useCanDeploy();
  const [form] = Form.useForm<EnvironmentValues>();
  const windowOn = Form.useWatch('windowOn', form);
  const approval = Form.useWatch('approvalRequired', form);
  const current = editing === 'new' ? undefined : editing;

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'flex-end', marginBottom: 12 }}>
        {canDeploy && (
          <Button onClick={() => setEditing('new')} data-testid="release-env-new">
            New environment
          </Button>
        )}
      </Space>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <Table<Environment>
        rowKey="id"
        size="middle"
        pagination={false}
        scroll={{ x: true }}
        loading={loading && !data}
        dataSource={data?.items ?? []}
        data-testid="release-envs-table"
        locale={{ emptyText: 'No environments: create one (e.g. staging, prod) to add targets to it.' }}
        columns={clipped<Environment>([
          {
            title: 'Environment',
            dataIndex: 'name',
            render: (name: string, env) =>
              canDeploy ? (
                <Typography.Link onClick={() => setEditing(env)} data-testid={`release-env-edit-${name}`}>
                  {name}
                </Typography.Link>
              ) : (
                name
              ),
          },
          { title: 'Release window', key: 'window', render: (_: unknown, env) => windowText(env) },
          {
            title: 'Approval',
            key: 'approval',
            render: (_: unknown, env) =>
              env.approvalRequired ? (
                <Space size={4} wrap>
                  <Tag color="gold">required</Tag>
                  {env.approvers.length
                    ? env.approvers.join(', ')
                    : 'anyone with release:approve but the creator'}
                </Space>
              ) : (
                <Typography.Text type="secondary">none</Typography.Text>
              ),
          },
        ])}
      />
      <FormModal<EnvironmentValues>
        open={editing !== undefined}
        title={current ? `Environment ${current.name}` : 'New environment'}
        okText={current ? 'Save' : 'Create'}
        name="release-env"
        testId="release-env-form"
        form={form}
        values={environmentValues(current)}
        onClose={() => setEditing(undefined)}
        onSubmit={async (v) => {
          const body = environmentBody(v);
          if (current) await updateEnvironment(projectId, current.id, body);
          else await createEnvironment(projectId, body);
          reload();
        }}
      >
        <Form.Item name="name" label="Name" rules={[{ required: true, message: 'a name' }]}>
          <Input placeholder="prod" data-testid="release-env-name" />
        </Form.Item>
        <Form.Item name="approvalRequired" label="Tasks need an approval" valuePropName="checked">
          <Switch />
        </Form.Item>
        {approval && (
          <Form.Item name="approvers" label="Approvers (empty: anyone with release:approve)">
            <Select mode="tags" placeholder="usernames" open={false} />
          </Form.Item>
        )}
        <Form.Item name="windowOn" label="Deploy only in a release window" valuePropName="checked">
          <Switch />
        </Form.Item>
        {windowOn && (
          <>
            <Form.Item name="timezone" label="Time zone (IANA)" rules={[{ required: true }]}>
              <Input placeholder="Europe/Berlin" />
            </Form.Item>
            <Form.Item name="days" label="Days" rules={[{ required: true, message: 'at least one day' }]}>
              <Checkbox.Group options={WEEKDAYS.map((d) => ({ value: d, label: d }))} />
            </Form.Item>
            <Space>
              <Form.Item name="start" label="From" rules={HHMM}>
                <Input placeholder="09:00" style={{ width: 100 }} />
              </Form.Item>
              <Form.Item name="end" label="To" rules={HHMM}>
                <Input placeholder="17:00" style={{ width: 100 }} />
              </Form.Item>
            </Space>
          </>
        )}
      </FormModal>
    </>
  );
}
