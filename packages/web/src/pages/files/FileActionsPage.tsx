import { App, Button, Form, Input, InputNumber, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { ApiError, errorText } from '../../api/client.ts';
import {
  createFileAction,
  deleteFileAction,
  type FileAction,
  listFileActions,
  updateFileAction,
} from '../../api/files.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { ListPage } from '../../components/ListPage.tsx';
import { millis } from '../../files-format.ts';
import {
  ACTION_KINDS,
  type ActionKind,
  type ActionValues,
  actionBody,
  actionFieldErrors,
  actionTarget,
  actionValues,
  type SecretField,
  secretIsSet,
} from '../../files-forms.ts';
import { useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { FileSections, useCanOperateFiles } from './common.tsx';

const URLS: Record<ActionKind, { label: string; placeholder: string }> = {
  webhook: { label: 'Webhook URL', placeholder: 'https://hooks.example.com/files' },
  jenkins: { label: 'Jenkins URL', placeholder: 'https://ci.example.com/' },
  nats: { label: 'NATS URL', placeholder: 'nats://nats.example.com:4222' },
  rabbitmq: { label: 'AMQP URL (no credentials)', placeholder: 'amqp://rabbitmq.example.com:5672/' },
  script: { label: '', placeholder: '' },
};

/** What file tasks run: Jenkins jobs, webhooks, NATS and RabbitMQ messages, allowed scripts, with their retry and concurrency limits. */
export function FileActionsPage() {
  const { message } = App.useApp();
  const load = useCallback((signal: AbortSignal) => listFileActions(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const [editing, setEditing] = useState<FileAction | 'new'>();
  const canWrite = useCanOperateFiles();

  const remove = async (a: FileAction) => {
    try {
      await deleteFileAction(a.id);
      message.success(`${a.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <div data-testid="file-actions">
      <FileSections current="/files/actions" />
      <ListPage<FileAction>
        title="Actions"
        error={error}
        loading={loading && !data}
        rows={data}
        rowTestId={(a) => `file-action-row-${a.name}`}
        locale={{ emptyText: 'No actions: an action is what a routing rule runs on an uploaded file.' }}
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setEditing('new')} data-testid="file-action-new">
              Add action
            </Button>
          )
        }
        columns={[
          { title: 'Name', dataIndex: 'name' },
          { title: 'Kind', dataIndex: 'kind', render: (k: string) => <Tag>{k}</Tag> },
          {
            title: 'Target',
            key: 'target',
            ellipsis: true,
            render: (_: unknown, a) => <span className="opsfleet-mono">{actionTarget(a)}</span>,
          },
          { title: 'Timeout', dataIndex: 'timeoutMs', render: (ms: number) => millis(ms) },
          { title: 'Attempts', dataIndex: 'maxAttempts' },
          { title: 'Concurrency', dataIndex: 'maxConcurrency' },
          {
            title: 'Tasks',
            key: 'tasks',
            render: (_: unknown, a) => (
              <Typography.Link onClick={() => navigate(`/files/tasks?action=${encodeURIComponent(a.id)}`)}>
                tasks
              </Typography.Link>
            ),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, a) =>
              canWrite && (
                <Space size={4}>
                  <Button size="small" onClick={() => setEditing(a)} data-testid="file-action-edit">
                    Edit
                  </Button>
                  <Popconfirm title={`Delete ${a.name}?`} onConfirm={() => remove(a)}>
                    <Button size="small" danger data-testid="file-action-delete">
                      Delete
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <ActionForm
        editing={editing}
        actions={data ?? []}
        onClose={() => setEditing(undefined)}
        onSaved={() => reload()}
      />
    </div>
  );
}

function ActionForm({
  editing,
  actions,
  onClose,
  onSaved,
}: {
  editing: FileAction | 'new' | undefined;
  actions: FileAction[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const [form] = Form.useForm<ActionValues>();
  const kind = Form.useWatch('kind', form);
  const stored = editing === 'new' ? undefined : editing;
  const values = useMemo(() => actionValues(stored), [stored]);
  const user = (
    <Form.Item name="user" label="User">
      <Input data-testid="file-action-user" style={{ width: 'min(200px, 75vw)' }} />
    </Form.Item>
  );
  // A secret field: empty keeps what is stored; the label says whether there is something.
  const secret = (field: SecretField, label: string, extra?: string) => {
    const set = stored?.kind === kind && secretIsSet(stored, field);
    return (
      <Form.Item
        name={field}
        label={
          <Space size={6}>
            {label}
            {stored && (
              <Tag color={set ? 'green' : 'default'} data-testid={`file-action-${field}-state`}>
                {set ? 'set' : 'not set'}
              </Tag>
            )}
          </Space>
        }
        extra={[extra, set ? 'Leave empty to keep it.' : undefined].filter(Boolean).join(' ')}
      >
        {field === 'headers' ? (
          <Input.TextArea
            className="opsfleet-mono"
            autoSize={{ minRows: 2, maxRows: 8 }}
            data-testid={`file-action-${field}`}
          />
        ) : (
          <Input.Password autoComplete="new-password" data-testid={`file-action-${field}`} />
        )}
      </Form.Item>
    );
  };
  return (
    <FormModal<ActionValues>
      open={editing !== undefined}
      title={stored ? `Edit ${stored.name}` : 'Add an action'}
      name="file-action"
      testId="file-action-form"
      width={720}
      form={form}
      values={values}
      onClose={onClose}
      onSubmit={async (v) => {
        const body = actionBody(v, stored);
        try {
          if (stored) await updateFileAction(stored.id, body);
          else await createFileAction(body);
          onSaved();
        } catch (err) {
          if (err instanceof ApiError) form.setFields(actionFieldErrors(err.errors));
          throw err;
        }
      }}
    >
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'a name' }]}>
          <Input data-testid="file-action-name" style={{ width: 'min(260px, 75vw)' }} />
        </Form.Item>
        <Form.Item name="kind" label="Kind" extra={stored ? 'The kind of a stored action stays.' : undefined}>
          <Select
            disabled={Boolean(stored)}
            data-testid="file-action-kind"
            style={{ width: 160 }}
            options={ACTION_KINDS.map((k) => ({ value: k, label: k }))}
          />
        </Form.Item>
      </Space>
      {kind !== 'script' && (
        <Form.Item
          name="url"
          label={URLS[kind ?? 'webhook'].label}
          rules={[{ required: true, whitespace: true, message: URLS[kind ?? 'webhook'].label }]}
        >
          <Input
            className="opsfleet-mono"
            data-testid="file-action-url"
            placeholder={URLS[kind ?? 'webhook'].placeholder}
          />
        </Form.Item>
      )}
      {kind === 'jenkins' && (
        <>
          <Space align="start" wrap style={{ width: '100%' }}>
            <Form.Item name="job" label="Job" extra="Its full name, folders separated by /.">
              <Input
                className="opsfleet-mono"
                data-testid="file-action-job"
                style={{ width: 'min(300px, 75vw)' }}
              />
            </Form.Item>
            {user}
          </Space>
          {secret('apiToken', 'API token', 'Or a password (Jenkins then asks for a crumb).')}
          {secret('password', 'Password')}
          <Form.Item
            name="parameters"
            label="Build parameters"
            extra="NAME=value a line; values take the file's {placeholders}, e.g. FILE={path}. None: the job is built without parameters."
          >
            <Input.TextArea
              className="opsfleet-mono"
              autoSize={{ minRows: 2, maxRows: 10 }}
              data-testid="file-action-parameters"
            />
          </Form.Item>
        </>
      )}
      {kind === 'webhook' && (
        <>
          {secret(
            'secret',
            'Signing secret',
            'Signs each body (X-Opsfleet-Signature), as notification webhooks do.',
          )}
          {secret('headers', 'Extra headers', 'Name: value a line; kept secret as a whole.')}
        </>
      )}
      {kind === 'nats' && (
        <>
          <Space align="start" wrap style={{ width: '100%' }}>
            <Form.Item
              name="subject"
              label="Subject"
              extra="One a JetStream stream captures; {placeholders} allowed, e.g. files.{source}."
            >
              <Input
                className="opsfleet-mono"
                data-testid="file-action-subject"
                style={{ width: 'min(300px, 75vw)' }}
              />
            </Form.Item>
            {user}
          </Space>
          {secret('password', 'Password')}
          {secret('token', 'Token', 'Instead of a user and password.')}
        </>
      )}
      {kind === 'rabbitmq' && (
        <>
          <Space align="start" wrap style={{ width: '100%' }}>
            <Form.Item
              name="exchange"
              label="Exchange"
              extra="Empty: the default exchange (the key names a queue)."
            >
              <Input className="opsfleet-mono" data-testid="file-action-exchange" style={{ width: 200 }} />
            </Form.Item>
            <Form.Item name="routingKey" label="Routing key" extra="{placeholders} allowed.">
              <Input className="opsfleet-mono" data-testid="file-action-routing-key" style={{ width: 220 }} />
            </Form.Item>
            {user}
          </Space>
          {secret('password', 'Password')}
        </>
      )}
      {kind === 'script' && (
        <>
          <Form.Item
            name="program"
            label="Program"
            extra="An absolute path the server's FILE_ACTION_SCRIPTS allows; it gets the file's fields as OPSFLEET_FILE_* variables."
            rules={[{ required: true, whitespace: true, message: 'an absolute path' }]}
          >
            <Input className="opsfleet-mono" data-testid="file-action-program" />
          </Form.Item>
          <Form.Item
            name="args"
            label="Arguments"
            extra="One a line, with {placeholders}; passed as they are, never through a shell."
          >
            <Input.TextArea
              className="opsfleet-mono"
              autoSize={{ minRows: 2, maxRows: 8 }}
              data-testid="file-action-args"
            />
          </Form.Item>
        </>
      )}
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="timeoutSeconds" label="Timeout (s)">
          <InputNumber min={1} max={86_400} data-testid="file-action-timeout" />
        </Form.Item>
        <Form.Item name="maxAttempts" label="Attempts">
          <InputNumber min={1} max={100} data-testid="file-action-attempts" />
        </Form.Item>
        <Form.Item name="maxConcurrency" label="Concurrency">
          <InputNumber min={1} max={1000} data-testid="file-action-concurrency" />
        </Form.Item>
        <Form.Item
          name="fallbackActionId"
          label="Fallback"
          extra="Runs when a task of this action fails for good."
        >
          <Select
            allowClear
            placeholder="none"
            style={{ width: 200 }}
            options={actions.filter((a) => a.id !== stored?.id).map((a) => ({ value: a.id, label: a.name }))}
            data-testid="file-action-fallback"
          />
        </Form.Item>
      </Space>
    </FormModal>
  );
}
