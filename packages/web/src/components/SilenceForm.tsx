import { Alert, App, AutoComplete, Form, Input, Modal, Select, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { ApiError, errorText } from '../api/client.ts';
import { createSilence } from '../api/silences.ts';
import type { Silence } from '../api/types.ts';
import { dateTime, parseDuration } from '../format.ts';

const DURATIONS = ['30m', '1h', '2h', '4h', '8h', '1d', '3d', '7d'];

interface Values {
  matchers: string[];
  duration: string;
  comment: string;
}

/**
 * A new silence: matchers as text (`name="value"`, `!=`, `=~`, `!~`), how long from now, and
 * why. Opened from an alert it starts with one equality matcher per label of the alert.
 */
export function SilenceForm({
  open,
  matchers,
  onClose,
  onCreated,
}: {
  open: boolean;
  matchers: string[];
  onClose: () => void;
  onCreated?: (silence: Silence) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<ApiError | string>();
  const [saving, setSaving] = useState(false);
  const duration = Form.useWatch('duration', form);
  const ms = parseDuration(duration ?? '');

  useEffect(() => {
    if (!open) return;
    form.setFieldsValue({ matchers, duration: '2h', comment: '' });
    setError(undefined);
  }, [open, matchers, form]);

  const submit = async (values: Values) => {
    const length = parseDuration(values.duration);
    if (!length) return;
    setSaving(true);
    setError(undefined);
    try {
      const silence = await createSilence({
        matchers: values.matchers,
        endsAt: new Date(Date.now() + length).toISOString(),
        comment: values.comment.trim(),
      });
      message.success(`Silence created until ${dateTime(silence.endsAt)}`);
      onCreated?.(silence);
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err : errorText(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title="New silence"
      okText="Create silence"
      onOk={() => form.submit()}
      okButtonProps={{ loading: saving }}
      onCancel={onClose}
      forceRender
      width={640}
    >
      <Form<Values> name="new-silence" form={form} layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item
          name="matchers"
          label="Matchers"
          extra='Every matcher must match: name="value", name!="value", name=~"regex", name!~"regex".'
          rules={[{ required: true, type: 'array', min: 1, message: 'add at least one matcher' }]}
        >
          <Select
            mode="tags"
            open={false}
            suffixIcon={null}
            tokenSeparators={['\n']}
            placeholder='team="db"'
            className="opsfleet-mono"
            data-testid="silence-matchers"
          />
        </Form.Item>
        <Form.Item
          name="duration"
          label="Duration"
          extra={ms ? `until ${dateTime(new Date(Date.now() + ms).toISOString())}` : undefined}
          rules={[
            { required: true, message: 'how long, e.g. 2h' },
            {
              validator: async (_, value: string) => {
                if (value && !parseDuration(value)) throw new Error('write a duration such as 30m, 2h, 1d');
              },
            },
          ]}
        >
          <AutoComplete options={DURATIONS.map((value) => ({ value }))} style={{ width: 200 }}>
            <Input data-testid="silence-duration" />
          </AutoComplete>
        </Form.Item>
        <Form.Item
          name="comment"
          label="Comment"
          rules={[{ required: true, whitespace: true, message: 'say why' }]}
        >
          <Input.TextArea rows={3} placeholder="Why, and who is on it" data-testid="silence-comment" />
        </Form.Item>
      </Form>
      {error && (
        <Alert
          type="error"
          showIcon
          data-testid="silence-error"
          title={typeof error === 'string' ? error : error.detail}
          description={
            typeof error !== 'string' && error.errors.length > 0 ? (
              <Typography.Text>
                {error.errors.map((e) => (
                  <div key={e.path}>
                    {e.path}: {e.message}
                  </div>
                ))}
              </Typography.Text>
            ) : undefined
          }
        />
      )}
    </Modal>
  );
}
