import { App, Button, Form, Input, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { errorText } from '../api/client.ts';
import { createUser, issueReset, listUsers, updateUser } from '../api/identity.ts';
import { type ResetToken, ROLES, type Role, type User } from '../api/types.ts';
import { FormModal } from '../components/FormModal.tsx';
import { ListPage } from '../components/ListPage.tsx';
import { PASSWORD_RULES } from '../components/PasswordFields.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { ShowOnceModal } from '../components/ShowOnce.tsx';
import { RoleTag } from '../components/Tags.tsx';
import { dateTime } from '../format.ts';
import { useLoad, useSession } from '../hooks.ts';

// `agent` is for API keys; a person is never a host agent.
const roleOptions = ROLES.filter((r) => r !== 'agent').map((r) => ({ value: r, label: r }));

/** Users: create with a role, change the role, disable or enable, issue a password reset token. */
export function UsersPage() {
  const { message } = App.useApp();
  const me = useSession()?.user;
  const load = useCallback((signal: AbortSignal) => listUsers(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const [creating, setCreating] = useState(false);
  const [reset, setReset] = useState<{ user: User; token: ResetToken }>();

  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      message.success(done);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  const issue = async (user: User) => {
    try {
      setReset({ user, token: await issueReset(user.id) });
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <>
      <ListPage<User>
        title="Users"
        actions={
          <Button type="primary" onClick={() => setCreating(true)} data-testid="user-new">
            New user
          </Button>
        }
        error={error}
        loading={loading}
        rows={data}
        rowTestId={(user) => `user-row-${user.username}`}
        columns={[
          {
            title: 'Username',
            dataIndex: 'username',
            render: (name: string, user) => (
              <Space size={4}>
                <Typography.Text strong>{name}</Typography.Text>
                {user.id === me?.id && <Tag>you</Tag>}
              </Space>
            ),
          },
          {
            title: 'Role',
            dataIndex: 'role',
            width: 160,
            render: (role: Role, user) =>
              user.id === me?.id ? (
                <RoleTag role={role} />
              ) : (
                <Select<Role>
                  size="small"
                  value={role}
                  options={roleOptions}
                  style={{ width: 120 }}
                  onChange={(next) =>
                    run(() => updateUser(user.id, { role: next }), `${user.username} is now ${next}`)
                  }
                />
              ),
          },
          {
            title: 'Status',
            key: 'status',
            render: (_: unknown, user) => (
              <Space size={4}>
                {user.disabled ? <Tag color="red">disabled</Tag> : <Tag color="green">active</Tag>}
                {user.mustChangePassword && <Tag color="orange">must change password</Tag>}
              </Space>
            ),
          },
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 130,
            render: (v: string) => <RelativeTime iso={v} />,
          },
          {
            title: '',
            key: 'actions',
            width: 230,
            render: (_: unknown, user) => (
              <Space size={4}>
                {user.disabled ? (
                  <Button
                    size="small"
                    onClick={() =>
                      run(() => updateUser(user.id, { disabled: false }), `${user.username} enabled`)
                    }
                  >
                    Enable
                  </Button>
                ) : (
                  <Popconfirm
                    title={`Disable ${user.username}?`}
                    description="Their sessions end now."
                    okText="Disable"
                    okButtonProps={{ danger: true }}
                    disabled={user.id === me?.id}
                    onConfirm={() =>
                      run(() => updateUser(user.id, { disabled: true }), `${user.username} disabled`)
                    }
                  >
                    <Button size="small" danger disabled={user.id === me?.id}>
                      Disable
                    </Button>
                  </Popconfirm>
                )}
                <Button size="small" onClick={() => issue(user)} disabled={user.disabled}>
                  Reset token
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <NewUser
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(user) => {
          message.success(`${user.username} created`);
          reload();
        }}
      />
      <ShowOnceModal
        title={`Password reset for ${reset?.user.username ?? ''}`}
        label="reset token"
        secret={reset?.token.token}
        testId="reset-token"
        onClose={() => setReset(undefined)}
      >
        {reset && (
          <Typography.Paragraph type="secondary">
            Valid until {dateTime(reset.token.expiresAt)}, once. {reset.user.username} sets a new password on
            the login page under “I have a reset token”.
          </Typography.Paragraph>
        )}
      </ShowOnceModal>
    </>
  );
}

function NewUser({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (user: User) => void;
}) {
  return (
    <FormModal<{ username: string; password: string; role: Role }>
      open={open}
      title="New user"
      okText="Create"
      name="new-user"
      values={{ role: 'operator' }}
      onSubmit={async (values) =>
        onCreated(await createUser(values.username.trim(), values.password, values.role))
      }
      onClose={onClose}
    >
      <Form.Item
        name="username"
        label="Username"
        rules={[
          {
            required: true,
            pattern: /^[a-z][a-z0-9._-]{1,39}$/,
            message: 'lowercase letters, digits, . _ -; 2 to 40, starting with a letter',
          },
        ]}
      >
        <Input autoComplete="off" />
      </Form.Item>
      <Form.Item name="password" label="Initial password" rules={PASSWORD_RULES}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item name="role" label="Role" rules={[{ required: true }]}>
        <Select options={roleOptions} />
      </Form.Item>
    </FormModal>
  );
}
