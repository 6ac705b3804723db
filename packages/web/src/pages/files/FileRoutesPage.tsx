import {
  App,
  Button,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Radio,
  Select,
  Space,
  Switch,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { ApiError, errorText } from '../../api/client.ts';
import {
  createFileRoute,
  deleteFileRoute,
  type FileRoute,
  listFileActions,
  listFileRoutes,
  updateFileRoute,
} from '../../api/files.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { ListPage } from '../../components/ListPage.tsx';
import {
  DAYS,
  matchSummary,
  type RouteValues,
  routeBody,
  routeFieldErrors,
  routeValues,
} from '../../files-forms.ts';
import { useLoad } from '../../hooks.ts';
import { FileSections, useCanOperateFiles } from './common.tsx';

/** Rules are tried by position: the gap lets a rule be put between two without renumbering. */
const POSITION_STEP = 10;

/** Which actions an uploaded file gets: the first enabled rule, by position, whose match holds. */
export function FileRoutesPage() {
  const { message } = App.useApp();
  const load = useCallback(async (signal: AbortSignal) => {
    const [routes, actions] = await Promise.all([listFileRoutes(signal), listFileActions(signal)]);
    return { routes: [...routes].sort((a, b) => a.position - b.position), actions };
  }, []);
  const { data, error, loading, reload } = useLoad(load);
  const [editing, setEditing] = useState<FileRoute | 'new'>();
  const canWrite = useCanOperateFiles();
  const names = useMemo(() => new Map((data?.actions ?? []).map((a) => [a.id, a.name])), [data]);

  const remove = async (r: FileRoute) => {
    try {
      await deleteFileRoute(r.id);
      message.success(`${r.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };
  const toggle = async (r: FileRoute, enabled: boolean) => {
    try {
      const { id: _id, createdAt: _c, updatedAt: _u, ...body } = r;
      await updateFileRoute(r.id, { ...body, enabled });
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };
  const last = data?.routes.at(-1)?.position;

  return (
    <div data-testid="file-routes">
      <FileSections current="/files/routes" />
      <ListPage<FileRoute>
        title="Routing rules"
        titleExtra={
          <Typography.Text type="secondary">the first enabled rule that matches wins</Typography.Text>
        }
        error={error}
        loading={loading && !data}
        rows={data?.routes}
        rowTestId={(r) => `file-route-row-${r.name}`}
        rowStatus={(r) => (r.enabled ? 'enabled' : 'disabled')}
        locale={{ emptyText: 'No routing rules: uploaded files get no tasks.' }}
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setEditing('new')} data-testid="file-route-new">
              Add rule
            </Button>
          )
        }
        columns={[
          { title: 'Position', dataIndex: 'position' },
          { title: 'Name', dataIndex: 'name' },
          {
            title: 'Matches',
            dataIndex: 'match',
            ellipsis: true,
            render: (m: Record<string, unknown>) => <span className="opsfleet-mono">{matchSummary(m)}</span>,
          },
          {
            title: 'Actions',
            key: 'actions',
            render: (_: unknown, r) => (
              <Space size={4} wrap>
                {r.actionIds.map((id, i) => (
                  <Tag key={id}>{`${r.mode === 'sequence' ? `${i + 1}. ` : ''}${names.get(id) ?? id}`}</Tag>
                ))}
              </Space>
            ),
          },
          { title: 'Mode', dataIndex: 'mode' },
          {
            title: 'Enabled',
            dataIndex: 'enabled',
            render: (on: boolean, r) => (
              <Switch
                size="small"
                checked={on}
                disabled={!canWrite}
                onChange={(v) => toggle(r, v)}
                data-testid="file-route-enabled"
              />
            ),
          },
          {
            title: '',
            key: 'edit',
            render: (_: unknown, r) =>
              canWrite && (
                <Space size={4}>
                  <Button size="small" onClick={() => setEditing(r)} data-testid="file-route-edit">
                    Edit
                  </Button>
                  <Popconfirm title={`Delete ${r.name}?`} onConfirm={() => remove(r)}>
                    <Button size="small" danger data-testid="file-route-delete">
                      Delete
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <RouteForm
        editing={editing}
        actions={data?.actions ?? []}
        nextPosition={last === undefined ? POSITION_STEP : last + POSITION_STEP}
        onClose={() => setEditing(undefined)}
        onSaved={reload}
      />
    </div>
  );
}

function RouteForm({
  editing,
  actions,
  nextPosition,
  onClose,
  onSaved,
}: {
  editing: FileRoute | 'new' | undefined;
  actions: { id: string; name: string }[];
  nextPosition: number;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [form] = Form.useForm<RouteValues>();
  const stored = editing === 'new' ? undefined : editing;
  const values = useMemo(() => routeValues(stored, nextPosition), [stored, nextPosition]);
  return (
    <FormModal<RouteValues>
      open={editing !== undefined}
      title={stored ? `Edit ${stored.name}` : 'Add a routing rule'}
      name="file-route"
      testId="file-route-form"
      width={760}
      form={form}
      values={values}
      onClose={onClose}
      onSubmit={async (v) => {
        const body = routeBody(v);
        try {
          if (stored) await updateFileRoute(stored.id, body);
          else await createFileRoute(body);
          onSaved();
        } catch (err) {
          if (err instanceof ApiError) form.setFields(routeFieldErrors(err.errors));
          throw err;
        }
      }}
    >
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'a name' }]}>
          <Input data-testid="file-route-name" style={{ width: 'min(260px, 75vw)' }} />
        </Form.Item>
        <Form.Item name="position" label="Position" extra="Lower is tried first.">
          <InputNumber min={0} max={1_000_000} data-testid="file-route-position" />
        </Form.Item>
        <Form.Item name="enabled" label="Enabled" valuePropName="checked">
          <Switch data-testid="file-route-enabled-field" />
        </Form.Item>
      </Space>
      <Form.Item
        name="actionIds"
        label="Actions"
        rules={[{ required: true, type: 'array', min: 1, message: 'at least one action' }]}
      >
        <Select
          mode="multiple"
          data-testid="file-route-actions"
          options={actions.map((a) => ({ value: a.id, label: a.name }))}
          showSearch={{ optionFilterProp: 'label' }}
        />
      </Form.Item>
      <Form.Item name="mode" label="Mode">
        <Radio.Group
          data-testid="file-route-mode"
          options={[
            { value: 'sequence', label: 'in sequence (each after the previous is done)' },
            { value: 'parallel', label: 'in parallel' },
          ]}
        />
      </Form.Item>
      <Typography.Title level={5}>Match (every condition given must hold)</Typography.Title>
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item
          name="pathGlob"
          label="Path glob"
          extra="* ** ? {a,b}; without / it matches the file name."
        >
          <Input
            className="opsfleet-mono"
            data-testid="file-route-path"
            style={{ width: 'min(300px, 75vw)' }}
          />
        </Form.Item>
        <Form.Item name="source" label="Source">
          <Input data-testid="file-route-source" style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="agent" label="Agent" extra="Its name or id.">
          <Input data-testid="file-route-agent" style={{ width: 200 }} />
        </Form.Item>
      </Space>
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="labels" label="Labels" extra="key=value a line; all must be on the file.">
          <Input.TextArea
            className="opsfleet-mono"
            autoSize={{ minRows: 2, maxRows: 6 }}
            style={{ width: 'min(300px, 75vw)' }}
            data-testid="file-route-labels"
          />
        </Form.Item>
        <Form.Item name="minSize" label="Min size (bytes)">
          <InputNumber min={0} data-testid="file-route-min-size" />
        </Form.Item>
        <Form.Item name="maxSize" label="Max size (bytes)">
          <InputNumber min={0} data-testid="file-route-max-size" />
        </Form.Item>
      </Space>
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="from" label="From (HH:MM)">
          <Input placeholder="22:00" style={{ width: 100 }} data-testid="file-route-from" />
        </Form.Item>
        <Form.Item name="to" label="To (HH:MM)" extra="Before From: the window spans midnight.">
          <Input placeholder="06:00" style={{ width: 100 }} data-testid="file-route-to" />
        </Form.Item>
        <Form.Item name="days" label="Days it opens">
          <Select
            mode="multiple"
            allowClear
            placeholder="every day"
            style={{ minWidth: 180 }}
            options={DAYS.map((d) => ({ value: d, label: d }))}
          />
        </Form.Item>
        <Form.Item name="tz" label="Time zone">
          <Input placeholder="UTC" style={{ width: 180 }} data-testid="file-route-tz" />
        </Form.Item>
      </Space>
    </FormModal>
  );
}
