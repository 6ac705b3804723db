import { App, Button, Checkbox, Form, Input, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { ApiError, errorText } from '../../api/client.ts';
import {
  createDatasource,
  DATASOURCE_KINDS,
  type Datasource,
  deleteDatasource,
  listDatasources,
  type TestAnswer,
  testDatasource,
  updateDatasource,
} from '../../api/datasources.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { ListPage } from '../../components/ListPage.tsx';
import { LabelTags } from '../../components/Tags.tsx';
import {
  type DatasourceValues,
  datasourceBody,
  datasourceValues,
  fieldErrors,
} from '../../datasource-form.ts';
import { useLoad, useSession } from '../../hooks.ts';
import { navigate } from '../../router.ts';

/** Admins and operators change data sources (datasource:write); everyone logged in reads and queries. */
export function useCanWriteDatasources(): boolean {
  const role = useSession()?.user.role;
  return role === 'admin' || role === 'operator';
}

/** The data sources: list, create, edit, delete, and a connection test per row. */
export function DatasourcesPage() {
  const { message } = App.useApp();
  const load = useCallback((signal: AbortSignal) => listDatasources(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const [editing, setEditing] = useState<Datasource | 'new'>();
  const canWrite = useCanWriteDatasources();

  const remove = async (ds: Datasource) => {
    try {
      await deleteDatasource(ds.id);
      message.success(`${ds.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <div data-testid="datasources">
      <ListPage<Datasource>
        title="Data sources"
        error={error}
        loading={loading && !data}
        rows={data?.items}
        rowTestId={(ds) => `datasource-row-${ds.name}`}
        locale={{ emptyText: 'No data sources: add the Prometheus or VictoriaMetrics the platform reads.' }}
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setEditing('new')} data-testid="datasource-new">
              Add data source
            </Button>
          )
        }
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string, ds) => (
              <Typography.Link
                onClick={() => navigate(`/datasources/${encodeURIComponent(ds.id)}`)}
                data-testid="datasource-open"
              >
                {name}
              </Typography.Link>
            ),
          },
          { title: 'Kind', dataIndex: 'kind' },
          {
            title: 'URL',
            dataIndex: 'url',
            ellipsis: true,
            render: (url: string) => <span className="opsfleet-mono">{url}</span>,
          },
          {
            title: 'Auth',
            key: 'auth',
            render: (_: unknown, ds) => (
              <Space size={4}>
                <span>{ds.authType === 'basic' ? `basic (${ds.username})` : ds.authType}</span>
                {ds.authType !== 'none' &&
                  (ds.hasSecret ? (
                    <Tag color="green">secret stored</Tag>
                  ) : (
                    <Tag color="orange">no secret</Tag>
                  ))}
              </Space>
            ),
          },
          {
            title: 'Labels',
            dataIndex: 'labels',
            render: (labels: Record<string, string>) => <LabelTags labels={labels} max={4} />,
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, ds) => (
              <Space size={4} wrap>
                <TestButton id={ds.id} />
                {canWrite && (
                  <Button size="small" onClick={() => setEditing(ds)} data-testid="datasource-edit">
                    Edit
                  </Button>
                )}
                {canWrite && (
                  <Popconfirm title={`Delete ${ds.name}?`} onConfirm={() => remove(ds)}>
                    <Button size="small" danger>
                      Delete
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <DatasourceForm editing={editing} onClose={() => setEditing(undefined)} onSaved={reload} />
    </div>
  );
}

/** Reaches the data source now and shows its version, or why it could not be reached. */
export function TestButton({ id }: { id: string }) {
  const [answer, setAnswer] = useState<TestAnswer | { ok: false; error: string }>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setAnswer(undefined);
    try {
      setAnswer(await testDatasource(id));
    } catch (err) {
      setAnswer({ ok: false, error: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space size={4} wrap>
      <Button size="small" loading={busy} onClick={() => void run()} data-testid="datasource-test">
        Test
      </Button>
      {answer && (
        <Typography.Text
          type={answer.ok ? 'success' : 'danger'}
          data-testid="datasource-test-result"
          data-ok={String(answer.ok)}
        >
          {answer.ok ? `OK: version ${answer.version ?? '?'}` : answer.error}
        </Typography.Text>
      )}
    </Space>
  );
}

const KEEP = 'Write-only. Left empty on an edit, the stored one is kept — unless the URL changed.';

function DatasourceForm({
  editing,
  onClose,
  onSaved,
}: {
  editing: Datasource | 'new' | undefined;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [form] = Form.useForm<DatasourceValues>();
  const authType = Form.useWatch('authType', form);
  const stored = editing === 'new' ? undefined : editing;
  return (
    <FormModal<DatasourceValues>
      open={editing !== undefined}
      title={stored ? `Edit ${stored.name}` : 'Add a data source'}
      name="datasource"
      testId="datasource-form"
      width={640}
      form={form}
      values={datasourceValues(stored)}
      onClose={onClose}
      onSubmit={async (v) => {
        const built = datasourceBody(v);
        if ('error' in built) throw new Error(built.error);
        try {
          if (stored) await updateDatasource(stored.id, built.body);
          else await createDatasource(built.body);
        } catch (err) {
          if (err instanceof ApiError) form.setFields(fieldErrors(err.errors));
          throw err;
        }
        onSaved();
      }}
    >
      <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'a name' }]}>
        <Input data-testid="datasource-name" />
      </Form.Item>
      <Form.Item name="kind" label="Kind">
        <Select
          data-testid="datasource-kind"
          options={DATASOURCE_KINDS.map((k) => ({ value: k, label: k }))}
        />
      </Form.Item>
      <Form.Item
        name="url"
        label="URL"
        extra="The base of its HTTP API, e.g. http://prometheus:9090; internal addresses need OUTBOUND_ALLOW."
        rules={[{ required: true, whitespace: true, message: 'a URL' }]}
      >
        <Input data-testid="datasource-url" placeholder="http://prometheus:9090" />
      </Form.Item>
      <Form.Item name="authType" label="Authentication">
        <Select
          data-testid="datasource-auth"
          options={[
            { value: 'none', label: 'none' },
            { value: 'basic', label: 'basic' },
            { value: 'bearer', label: 'bearer token' },
          ]}
        />
      </Form.Item>
      {authType === 'basic' && (
        <Space align="start" wrap style={{ width: '100%' }}>
          <Form.Item name="username" label="Username" rules={[{ required: true, message: 'a username' }]}>
            <Input data-testid="datasource-username" autoComplete="off" />
          </Form.Item>
          <Form.Item
            name="password"
            label="Password"
            extra={stored?.hasSecret ? KEEP : 'Write-only: never shown again.'}
            rules={[{ required: !stored?.hasSecret, message: 'a password' }]}
          >
            <Input.Password data-testid="datasource-password" autoComplete="new-password" />
          </Form.Item>
        </Space>
      )}
      {authType === 'bearer' && (
        <Form.Item
          name="token"
          label="Token"
          extra={stored?.hasSecret ? KEEP : 'Write-only: never shown again.'}
          rules={[{ required: !stored?.hasSecret, message: 'a token' }]}
        >
          <Input.Password data-testid="datasource-token" autoComplete="new-password" />
        </Form.Item>
      )}
      <Form.Item
        name="ca"
        label="CA certificate (PEM)"
        extra={stored?.tls.hasCa ? 'A CA is stored; left empty it is kept.' : 'Only for a private CA.'}
      >
        <Input.TextArea rows={3} className="opsfleet-mono" placeholder="-----BEGIN CERTIFICATE-----" />
      </Form.Item>
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="serverName" label="TLS server name">
          <Input placeholder="as in its certificate" />
        </Form.Item>
        <Form.Item name="insecureSkipVerify" valuePropName="checked" label=" ">
          <Checkbox>Skip certificate verification</Checkbox>
        </Form.Item>
      </Space>
      <Form.Item name="labels" label="Labels (name=value, comma separated)">
        <Input placeholder="team=ops, region=eu" />
      </Form.Item>
    </FormModal>
  );
}
