import { Alert, App, Form, Input, Modal } from 'antd';
import { useState } from 'react';
import { errorText } from '../api/client.ts';
import { changePassword } from '../api/identity.ts';

interface Values {
  current: string;
  password: string;
  confirm: string;
}

/** The user's own password; the server ends the user's other sessions, so this one logs in again. */
export function ChangePassword({
  username,
  open,
  onClose,
  onChanged,
}: {
  username: string;
  open: boolean;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (values: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      await changePassword(values.current, values.password);
      message.success('Password changed: log in with the new one');
      form.resetFields();
      onClose();
      onChanged();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title="Change password"
      okText="Change"
      onOk={() => form.submit()}
      okButtonProps={{ loading: busy }}
      onCancel={onClose}
      forceRender
    >
      <Form name="change-password" form={form} layout="vertical" onFinish={submit} requiredMark={false}>
        {/* Lets password managers know whose password this is. */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        <Form.Item
          name="current"
          label="Current password"
          rules={[{ required: true, message: 'your password now' }]}
        >
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          name="password"
          label="New password"
          rules={[{ required: true, min: 10, message: 'at least 10 characters' }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label="Repeat it"
          dependencies={['password']}
          rules={[
            { required: true, message: 'repeat the new password' },
            ({ getFieldValue }) => ({
              validator: async (_, value) => {
                if (value && value !== getFieldValue('password')) throw new Error('the passwords differ');
              },
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon title={error} />}
    </Modal>
  );
}
