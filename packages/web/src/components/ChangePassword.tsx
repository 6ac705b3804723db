import { App, Form, Input } from 'antd';
import { changePassword } from '../api/identity.ts';
import { FormModal } from './FormModal.tsx';
import { NewPasswordFields } from './PasswordFields.tsx';

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
  const submit = async (values: Values) => {
    await changePassword(values.current, values.password);
    message.success('Password changed: log in with the new one');
    onChanged();
  };
  return (
    <FormModal<Values>
      open={open}
      title="Change password"
      okText="Change"
      name="change-password"
      onSubmit={submit}
      onClose={onClose}
    >
      {/* Lets password managers know whose password this is. */}
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <Form.Item
        name="current"
        label="Current password"
        rules={[{ required: true, message: 'your password now' }]}
      >
        <Input.Password autoComplete="current-password" />
      </Form.Item>
      <NewPasswordFields />
    </FormModal>
  );
}
