import { Alert, App, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { errorText, login, resetPassword } from '../api/client.ts';
import { NewPasswordFields } from '../components/PasswordFields.tsx';

/** Username and password; or, with a token an admin issued, a new password. */
export function LoginPage() {
  const [mode, setMode] = useState<'login' | 'reset'>('login');
  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        background: '#f0f2f5',
      }}
    >
      <Card style={{ width: 380 }}>
        <Typography.Title level={3} style={{ marginTop: 0 }}>
          opsfleet
        </Typography.Title>
        {mode === 'login' ? (
          <LoginForm onReset={() => setMode('reset')} />
        ) : (
          <ResetForm onDone={() => setMode('login')} />
        )}
      </Card>
    </div>
  );
}

function LoginForm({ onReset }: { onReset: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await login(values.username.trim(), values.password);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <Form name="login" layout="vertical" onFinish={submit} requiredMark={false} data-testid="login-form">
      <Form.Item name="username" label="Username" rules={[{ required: true, message: 'your username' }]}>
        <Input autoComplete="username" autoFocus data-testid="login-username" />
      </Form.Item>
      <Form.Item name="password" label="Password" rules={[{ required: true, message: 'your password' }]}>
        <Input.Password autoComplete="current-password" data-testid="login-password" />
      </Form.Item>
      {error && (
        <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="login-error" />
      )}
      <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
        Log in
      </Button>
      <Button type="link" block onClick={onReset} style={{ marginTop: 8 }}>
        I have a reset token
      </Button>
    </Form>
  );
}

function ResetForm({ onDone }: { onDone: () => void }) {
  const { message } = App.useApp();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (values: { token: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      await resetPassword(values.token.trim(), values.password);
      message.success('Password changed: log in with it');
      onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form name="reset" layout="vertical" onFinish={submit} requiredMark={false}>
      <Form.Item
        name="token"
        label="Reset token"
        rules={[{ required: true, message: 'the token from your admin' }]}
      >
        <Input autoComplete="off" />
      </Form.Item>
      <NewPasswordFields />
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Button type="primary" htmlType="submit" block loading={busy}>
        Set password
      </Button>
      <Button type="link" block onClick={onDone} style={{ marginTop: 8 }}>
        Back to log in
      </Button>
    </Form>
  );
}
