import { App, Button, Form, Input, InputNumber, Popconfirm, Select, Space, Table, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { listAgents } from '../../api/agents.ts';
import { errorText } from '../../api/client.ts';
import { createTarget, deleteTarget, listEnvironments, listTargets, type Target } from '../../api/release.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { clipped } from '../../components/ListPage.tsx';
import { Pager } from '../../components/Pager.tsx';
import { LabelTags } from '../../components/Tags.tsx';
import { type CursorTrail, currentCursor, FIRST_PAGE } from '../../cursor-pages.ts';
import { useLoad } from '../../hooks.ts';
import { parseLabels } from '../../release-forms.ts';
import { useCanDeploy } from './common.tsx';

interface TargetValues {
  environment: string;
  agent: string;
  labels: string;
  priority: number;
}

/** A project's targets: which registered agent is in which environment, its labels and priority. */
export function TargetsTab({ projectId }: { projectId: string }) {
  const { message } = App.useApp();
  const [trail, setTrail] = useState<CursorTrail>(FIRST_PAGE);
  const cursor = currentCursor(trail);
  const load = useCallback(
    (signal: AbortSignal) => listTargets(projectId, cursor, signal),
    [projectId, cursor],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [adding, setAdding] = useState(false);
  const canDeploy = useCanDeploy();

  const remove = async (t: Target) => {
    try {
      await deleteTarget(projectId, t.id);
      message.success(`${t.agent.name} is no longer a target of ${t.environment.name}`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'flex-end', marginBottom: 12 }}>
        {canDeploy && (
          <Button onClick={() => setAdding(true)} data-testid="release-target-new">
            Add target
          </Button>
        )}
      </Space>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      <Table<Target>
        rowKey="id"
        size="middle"
        pagination={false}
        scroll={{ x: true }}
        loading={loading && !data}
        dataSource={data?.items ?? []}
        data-testid="release-targets-table"
        locale={{ emptyText: 'No targets: add a registered agent to an environment.' }}
        columns={clipped<Target>([
          {
            title: 'Agent',
            key: 'agent',
            render: (_: unknown, t) => <span className="opsfleet-nowrap">{t.agent.name}</span>,
          },
          { title: 'Environment', key: 'env', render: (_: unknown, t) => t.environment.name },
          {
            title: 'Labels',
            dataIndex: 'labels',
            render: (labels: Record<string, string>) => <LabelTags labels={labels} max={4} />,
          },
          { title: 'Priority', dataIndex: 'priority', width: 90, align: 'right' },
          ...(canDeploy
            ? [
                {
                  title: '',
                  key: 'remove',
                  width: 90,
                  render: (_: unknown, t: Target) => (
                    <Popconfirm
                      title={`Remove ${t.agent.name} from ${t.environment.name}?`}
                      onConfirm={() => remove(t)}
                    >
                      <Button size="small" danger>
                        Remove
                      </Button>
                    </Popconfirm>
                  ),
                },
              ]
            : []),
        ])}
      />
      <Pager trail={trail} onChange={setTrail} nextCursor={data?.nextCursor} testId="release-targets" />
      <TargetForm
        projectId={projectId}
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={() => {
          setTrail(FIRST_PAGE);
          reload();
        }}
      />
    </>
  );
}

function TargetForm({
  projectId,
  open,
  onClose,
  onAdded,
}: {
  projectId: string;
  open: boolean;
  onClose: () => void;
  onAdded: () => void;
}) {
  const loadChoices = useCallback(
    async (signal: AbortSignal) =>
      open
        ? {
            envs: (await listEnvironments(projectId, signal)).items,
            agents: (await listAgents({ limit: 200 }, signal)).items,
          }
        : undefined,
    [projectId, open],
  );
  const { data: choices } = useLoad(loadChoices);
  return (
    <FormModal<TargetValues>
      open={open}
      title="Add a target"
      okText="Add"
      name="release-target"
      testId="release-target-form"
      values={{ priority: 0, labels: '' }}
      onClose={onClose}
      onSubmit={async (v) => {
        const parsed = parseLabels(v.labels ?? '');
        if ('error' in parsed) throw new Error(`labels: ${parsed.error}`);
        await createTarget(projectId, {
          environment: v.environment,
          agent: v.agent,
          labels: parsed.labels,
          priority: v.priority ?? 0,
        });
        onAdded();
      }}
    >
      <Form.Item
        name="environment"
        label="Environment"
        rules={[{ required: true, message: 'an environment' }]}
      >
        <Select
          data-testid="release-target-env"
          options={choices?.envs.map((e) => ({ value: e.id, label: e.name }))}
          placeholder="environment"
        />
      </Form.Item>
      <Form.Item
        name="agent"
        label="Agent (registered)"
        rules={[{ required: true, message: 'a registered agent' }]}
      >
        <Select
          showSearch={{ optionFilterProp: 'label' }}
          data-testid="release-target-agent"
          options={choices?.agents.map((a) => ({ value: a.id, label: a.name }))}
          placeholder="agent"
        />
      </Form.Item>
      <Form.Item name="labels" label="Labels (name=value, comma separated)">
        <Input placeholder="zone=a, rack=r1" />
      </Form.Item>
      <Form.Item name="priority" label="Priority (higher goes first, and into a canary)">
        <InputNumber min={-1000} max={1000} />
      </Form.Item>
    </FormModal>
  );
}
