import { App, Button, Form, Input, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { listAgents } from '../../api/agents.ts';
import { ApiError, errorText } from '../../api/client.ts';
import { listDatasources } from '../../api/datasources.ts';
import {
  createSyncTarget,
  deleteSyncTarget,
  listSyncTargets,
  SYNC_KINDS,
  type SyncTarget,
  updateSyncTarget,
} from '../../api/sync-targets.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { ListPage } from '../../components/ListPage.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import {
  isRulesKind,
  type SyncTargetValues,
  syncFieldErrors,
  syncTargetBody,
  syncTargetValues,
} from '../../sync-form.ts';
import { firstLine, syncSummary, versionsText } from '../../sync-status.ts';
import { useCanWriteRules } from '../rules/RuleGroupsPage.tsx';

export const targetPath = (id: string) => `/config-sync/${encodeURIComponent(id)}`;

/** What the list and the target page name: the agents and data sources by id, for the selects too. */
export interface SyncNames {
  agents: Map<string, string>;
  sources: { id: string; name: string; kind: string }[];
}

export async function loadSyncNames(signal: AbortSignal): Promise<SyncNames> {
  const [agents, sources] = await Promise.all([listAgents({ limit: 500 }, signal), listDatasources(signal)]);
  return {
    agents: new Map(agents.items.map((a) => [a.id, a.name])),
    sources: sources.items.map((s) => ({ id: s.id, name: s.name, kind: s.kind })),
  };
}

export const nameOf = (names: SyncNames | undefined, kind: 'agent' | 'source', id: string | null) => {
  if (!id) return '—';
  const found = kind === 'agent' ? names?.agents.get(id) : names?.sources.find((s) => s.id === id)?.name;
  return found ?? id;
};

/** The badge of a target's state, its reason on hover. */
export function SyncBadge({ target }: { target: SyncTarget }) {
  const s = syncSummary(target);
  return (
    <Tag color={s.color} title={s.detail} data-testid="sync-state" data-state={s.state}>
      {s.label}
    </Tag>
  );
}

/** The config sync targets: their sync state, create, edit and delete. */
export function SyncTargetsPage() {
  const { message } = App.useApp();
  const load = useCallback(async (signal: AbortSignal) => {
    const [targets, names] = await Promise.all([listSyncTargets(signal), loadSyncNames(signal)]);
    return { targets: targets.items, names };
  }, []);
  const { data, error, loading, reload } = useLoad(load);
  const [editing, setEditing] = useState<SyncTarget | 'new'>();
  const canWrite = useCanWriteRules();
  const names = data?.names;

  const remove = async (t: SyncTarget) => {
    try {
      await deleteSyncTarget(t.id);
      message.success(`${t.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <div data-testid="sync-targets">
      <ListPage<SyncTarget>
        title="Config sync"
        error={error}
        loading={loading && !data}
        rows={data?.targets}
        rowTestId={(t) => `sync-target-row-${t.name}`}
        rowStatus={(t) => syncSummary(t).state}
        locale={{
          emptyText:
            'No sync targets: a target is a Prometheus, vmalert or Alertmanager whose configuration opsfleet renders and a host agent applies.',
        }}
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setEditing('new')} data-testid="sync-target-new">
              Add sync target
            </Button>
          )
        }
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string, t) => (
              <Typography.Link onClick={() => navigate(targetPath(t.id))} data-testid="sync-target-open">
                {name}
              </Typography.Link>
            ),
          },
          { title: 'Kind', dataIndex: 'kind' },
          { title: 'Agent', dataIndex: 'agentId', render: (id: string | null) => nameOf(names, 'agent', id) },
          {
            title: 'Data source',
            dataIndex: 'datasourceId',
            render: (id: string | null) => nameOf(names, 'source', id),
          },
          {
            title: 'Desired / applied',
            key: 'versions',
            render: (_: unknown, t) => (
              <Space size={4}>
                <span data-testid="sync-versions">{versionsText(t)}</span>
                {t.pinnedVersion !== null && <Tag data-testid="sync-pinned">pinned</Tag>}
              </Space>
            ),
          },
          { title: 'State', key: 'state', render: (_: unknown, t) => <SyncBadge target={t} /> },
          {
            title: 'Last attempt',
            dataIndex: 'lastAttemptAt',
            render: (iso: string | null) => <RelativeTime iso={iso} />,
          },
          {
            title: 'Last error',
            dataIndex: 'lastError',
            ellipsis: true,
            render: (text: string | null) => (
              <span className="opsfleet-mono" data-testid="sync-last-error-line">
                {firstLine(text)}
              </span>
            ),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, t) =>
              canWrite && (
                <Space size={4}>
                  <Button size="small" onClick={() => setEditing(t)} data-testid="sync-target-edit">
                    Edit
                  </Button>
                  <Popconfirm title={`Delete ${t.name} and its versions?`} onConfirm={() => remove(t)}>
                    <Button size="small" danger data-testid="sync-target-delete">
                      Delete
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <SyncTargetForm
        editing={editing}
        names={names}
        onClose={() => setEditing(undefined)}
        onSaved={(saved) => (editing === 'new' ? navigate(targetPath(saved.id)) : reload())}
      />
    </div>
  );
}

/** Create or edit a target: a data source for Prometheus and vmalert, the base and webhook for Alertmanager. */
export function SyncTargetForm({
  editing,
  names,
  onClose,
  onSaved,
}: {
  editing: SyncTarget | 'new' | undefined;
  names: SyncNames | undefined;
  onClose: () => void;
  onSaved: (saved: SyncTarget) => void;
}) {
  const [form] = Form.useForm<SyncTargetValues>();
  const kind = Form.useWatch('kind', form);
  const stored = editing === 'new' ? undefined : editing;
  const values = useMemo(() => syncTargetValues(stored, window.location.origin), [stored]);
  return (
    <FormModal<SyncTargetValues>
      open={editing !== undefined}
      title={stored ? `Edit ${stored.name}` : 'Add a sync target'}
      name="sync-target"
      testId="sync-target-form"
      width={720}
      form={form}
      values={values}
      onClose={onClose}
      onSubmit={async (v) => {
        const body = syncTargetBody(v);
        try {
          onSaved(stored ? await updateSyncTarget(stored.id, body) : await createSyncTarget(body));
        } catch (err) {
          if (err instanceof ApiError) form.setFields(syncFieldErrors(err.errors));
          throw err;
        }
      }}
    >
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'a name' }]}>
          <Input data-testid="sync-target-name" style={{ width: 'min(260px, 75vw)' }} />
        </Form.Item>
        <Form.Item name="kind" label="Kind">
          <Select
            data-testid="sync-target-kind"
            style={{ width: 160 }}
            options={SYNC_KINDS.map((k) => ({ value: k, label: k }))}
          />
        </Form.Item>
      </Space>
      <Form.Item
        name="agentId"
        label="Host agent"
        extra="The agent on the peer's host: its ConfigAgent writes the configuration and reloads the peer."
      >
        <Select
          data-testid="sync-target-agent"
          allowClear
          placeholder="none yet"
          showSearch={{ optionFilterProp: 'label' }}
          options={[...(names?.agents ?? [])].map(([value, label]) => ({ value, label }))}
        />
      </Form.Item>
      {kind && isRulesKind(kind) ? (
        <Form.Item
          name="datasourceId"
          label="Data source"
          extra="Its rule groups become the peer's rule files."
          rules={[{ required: true, message: 'the data source whose rule groups it loads' }]}
        >
          <Select
            data-testid="sync-target-datasource"
            placeholder="pick one"
            options={(names?.sources ?? [])
              .filter((s) => s.kind !== 'alertmanager')
              .map((s) => ({ value: s.id, label: s.name }))}
          />
        </Form.Item>
      ) : (
        <>
          <Form.Item
            name="baseConfig"
            label="Base configuration (alertmanager.yml)"
            extra="Yours: opsfleet adds its receiver and a first route that continues to your routes."
            rules={[{ required: true, message: 'the base configuration, with a route' }]}
          >
            <Input.TextArea
              data-testid="sync-target-base"
              className="opsfleet-mono"
              autoSize={{ minRows: 6, maxRows: 20 }}
              spellCheck={false}
            />
          </Form.Item>
          <Form.Item
            name="webhookUrl"
            label="Webhook URL"
            extra="This server's Alertmanager webhook as the Alertmanager host reaches it."
            rules={[{ required: true, whitespace: true, message: 'the URL Alertmanager sends to' }]}
          >
            <Input data-testid="sync-target-webhook" className="opsfleet-mono" />
          </Form.Item>
          <Form.Item
            name="passwordFile"
            label="Password file"
            extra={`Where the ConfigAgent writes the ingest key on the Alertmanager host (an absolute path).${
              stored
                ? stored.hasIngestKey
                  ? ' The server holds its key.'
                  : ' The server holds no key for it yet.'
                : ' The server makes the key.'
            }`}
            rules={[{ required: true, whitespace: true, message: 'an absolute path' }]}
          >
            <Input
              data-testid="sync-target-password-file"
              className="opsfleet-mono"
              placeholder="/etc/alertmanager/opsfleet.key"
            />
          </Form.Item>
        </>
      )}
    </FormModal>
  );
}
