import { Form, type FormRule, Input } from 'antd';

/** What the server asks of a password. */
export const PASSWORD_RULES: FormRule[] = [{ required: true, min: 10, message: 'at least 10 characters' }];

/** A new password (`password`) and the same again (`confirm`), checked to agree. */
export function NewPasswordFields({ label = 'New password' }: { label?: string }) {
  return (
    <>
      <Form.Item name="password" label={label} rules={PASSWORD_RULES}>
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        name="confirm"
        label="Repeat it"
        dependencies={['password']}
        rules={[
          { required: true, message: 'repeat the password' },
          ({ getFieldValue }) => ({
            validator: async (_, value) => {
              if (value && value !== getFieldValue('password')) throw new Error('the passwords differ');
            },
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </>
  );
}
