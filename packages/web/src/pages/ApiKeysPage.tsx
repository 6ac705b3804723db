import { App, Button, Form, Input, Popconfirm, Select, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from '../api/client.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../api/identity.ts';
import { type ApiKey, type CreatedApiKey, ROLES, type Role } from '../api/types.ts';
import { FormModal } from '../components/FormModal.tsx';
import { ListPage } from '../components/ListPage.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { ShowOnceModal, Snippet } from '../components/ShowOnce.tsx';
import { RoleTag } from '../components/Tags.tsx';
import { useLoad } from '../hooks.ts';
import { alertmanagerSnippet, vmalertSnippet } from '../snippets.ts';

/** API keys for machines: create (shown once), list, revoke. */
export function ApiKeysPage() {
  const { message } = App.useApp();
  const load = useCallback((signal: AbortSignal) => listApiKeys(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey>();

  const revoke = async (key: ApiKey) => {
    try {
      await revokeApiKey(key.id);
      message.success(`${key.name} revoked`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <>
      <ListPage<ApiKey>
        title="API keys"
        actions={
          <Button type="primary" onClick={() => setCreating(true)} data-testid="apikey-new">
            New API key
          </Button>
        }
        error={error}
        loading={loading}
        rows={data}
        rowTestId={(key) => `apikey-row-${key.name}`}
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
          },
          {
            title: 'Prefix',
            dataIndex: 'prefix',
            render: (prefix: string) => <Typography.Text code>{`ofk_${prefix}_…`}</Typography.Text>,
          },
          { title: 'Role', dataIndex: 'role', width: 110, render: (role: string) => <RoleTag role={role} /> },
          { title: 'Created by', dataIndex: 'createdBy', width: 140 },
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 130,
            render: (v: string) => <RelativeTime iso={v} />,
          },
          {
            title: 'Last used',
            dataIndex: 'lastUsedAt',
            width: 130,
            render: (v: string | null) =>
              v ? <RelativeTime iso={v} /> : <Typography.Text type="secondary">never</Typography.Text>,
          },
          {
            title: 'Status',
            dataIndex: 'revokedAt',
            width: 150,
            render: (v: string | null) =>
              v ? (
                <Tag color="red">
                  revoked <RelativeTime iso={v} />
                </Tag>
              ) : (
                <Tag color="green">active</Tag>
              ),
          },
          {
            title: '',
            key: 'actions',
            width: 100,
            render: (_: unknown, key) =>
              !key.revokedAt && (
                <Popconfirm
                  title={`Revoke ${key.name}?`}
                  description="Senders using it are refused from now on."
                  okText="Revoke"
                  okButtonProps={{ danger: true }}
                  onConfirm={() => revoke(key)}
                >
                  <Button danger size="small">
                    Revoke
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <NewApiKey
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreated(key);
          reload();
        }}
      />
      <ShowOnceModal
        title={`API key ${created?.name ?? ''}`}
        label="key"
        secret={created?.key}
        testId="apikey-secret"
        width={680}
        onClose={() => setCreated(undefined)}
      >
        {created && (
          <>
            <Typography.Paragraph>
              Alertmanager (<Typography.Text code>alertmanager.yml</Typography.Text>):
            </Typography.Paragraph>
            <Snippet
              text={alertmanagerSnippet(window.location.origin, created.key)}
              testId="apikey-alertmanager"
            />
            <Typography.Paragraph style={{ marginTop: 12 }}>vmalert flags:</Typography.Paragraph>
            <Snippet text={vmalertSnippet(window.location.origin, created.key)} />
            <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
              Any sender may also use the header <Typography.Text code>X-API-Key</Typography.Text>.
            </Typography.Paragraph>
          </>
        )}
      </ShowOnceModal>
    </>
  );
}

function NewApiKey({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (key: CreatedApiKey) => void;
}) {
  return (
    <FormModal<{ name: string; role: Role }>
      open={open}
      title="New API key"
      okText="Create"
      name="new-api-key"
      values={{ role: 'ingest' }}
      onSubmit={async (values) => onCreated(await createApiKey(values.name.trim(), values.role))}
      onClose={onClose}
    >
      <Form.Item
        name="name"
        label="Name"
        extra="Who uses it, e.g. alertmanager-prod"
        rules={[{ required: true, whitespace: true, max: 100, message: 'a name, up to 100 characters' }]}
      >
        <Input autoComplete="off" data-testid="apikey-name" />
      </Form.Item>
      <Form.Item
        name="role"
        label="Role"
        extra="ingest: push alerts only (Alertmanager, vmalert); agent: a host agent's key (register, heartbeat, report its health)"
        rules={[{ required: true }]}
      >
        <Select options={ROLES.map((r) => ({ value: r, label: r }))} />
      </Form.Item>
    </FormModal>
  );
}
