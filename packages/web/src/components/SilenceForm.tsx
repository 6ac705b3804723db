import { App, AutoComplete, Form, Input, Select } from 'antd';
import { createSilence } from '../api/silences.ts';
import type { Silence } from '../api/types.ts';
import { dateTime, parseDuration } from '../format.ts';
import { FormModal } from './FormModal.tsx';

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
  const duration = Form.useWatch('duration', form);
  const ms = parseDuration(duration ?? '');

  const submit = async (values: Values) => {
    const length = parseDuration(values.duration);
    if (!length) return;
    const silence = await createSilence({
      matchers: values.matchers,
      endsAt: new Date(Date.now() + length).toISOString(),
      comment: values.comment.trim(),
    });
    message.success(`Silence created until ${dateTime(silence.endsAt)}`);
    onCreated?.(silence);
  };

  return (
    <FormModal<Values>
      open={open}
      title="New silence"
      okText="Create silence"
      name="new-silence"
      testId="silence"
      width={640}
      form={form}
      values={{ matchers, duration: '2h', comment: '' }}
      onSubmit={submit}
      onClose={onClose}
    >
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
    </FormModal>
  );
}
