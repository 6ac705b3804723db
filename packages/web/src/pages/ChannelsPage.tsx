import { App, Button, Form, Input, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { errorText } from '../api/client.ts';
import {
  createChannel,
  deleteChannel,
  listChannelKinds,
  listChannels,
  listTemplateSets,
  testChannel,
  updateChannel,
} from '../api/notify.ts';
import type { Channel, TemplateSet } from '../api/notify-types.ts';
import {
  type ChannelFormValues,
  channelChangeBody,
  channelToForm,
  configOnKindChange,
  exampleText,
  newChannelBody,
  parseConfig,
} from '../channel-form.ts';
import { FormModal } from '../components/FormModal.tsx';
import { ListPage } from '../components/ListPage.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { useLoad, useSession } from '../hooks.ts';

const NO_KINDS: string[] = [];
const NO_SETS: TemplateSet[] = [];

/** Notification channels: list, create and edit (config as JSON), delete, send a test message. */
export function ChannelsPage() {
  const { message } = App.useApp();
  const canWrite = useSession()?.user.role !== 'viewer';
  const load = useCallback((signal: AbortSignal) => listChannels(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const loadKinds = useCallback((signal: AbortSignal) => listChannelKinds(signal), []);
  const kinds = useLoad(loadKinds).data ?? NO_KINDS;
  const loadSets = useCallback((signal: AbortSignal) => listTemplateSets(signal), []);
  const sets = useLoad(loadSets).data ?? NO_SETS;
  const [editing, setEditing] = useState<Channel | 'new'>();
  const [testing, setTesting] = useState<string>();
  const setName = (id: string | null) => (id ? (sets.find((s) => s.id === id)?.name ?? id) : undefined);

  const sendTest = async (channel: Channel) => {
    setTesting(channel.id);
    try {
      const result = await testChannel(channel.id);
      message.success({
        content: (
          <span data-testid="channel-test-ok">
            Test message delivered to {channel.name} in {result.ms} ms
          </span>
        ),
      });
    } catch (err) {
      message.error({ content: <span data-testid="channel-test-error">{errorText(err)}</span>, duration: 8 });
    } finally {
      setTesting(undefined);
    }
  };

  const remove = async (channel: Channel) => {
    try {
      await deleteChannel(channel.id);
      message.success(`${channel.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <>
      <ListPage<Channel>
        title="Channels"
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setEditing('new')} data-testid="channel-new">
              New channel
            </Button>
          )
        }
        error={error}
        loading={loading}
        rows={data}
        pageSize={50}
        locale={{ emptyText: 'No channels yet' }}
        data-testid="channels-table"
        rowTestId={(channel) => `row-${channel.name}`}
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
          },
          { title: 'Kind', dataIndex: 'kind', width: 120, render: (kind: string) => <Tag>{kind}</Tag> },
          {
            title: 'Template set',
            dataIndex: 'templateId',
            render: (id: string | null) =>
              setName(id) ?? <Typography.Text type="secondary">default</Typography.Text>,
          },
          { title: 'Created by', dataIndex: 'createdBy', width: 140 },
          {
            title: 'Created',
            dataIndex: 'createdAt',
            width: 130,
            render: (v: string) => <RelativeTime iso={v} />,
          },
          {
            title: '',
            key: 'actions',
            width: 250,
            render: (_: unknown, channel) =>
              canWrite && (
                <Space size={4}>
                  <Button
                    size="small"
                    loading={testing === channel.id}
                    onClick={() => sendTest(channel)}
                    data-testid={`channel-test-${channel.name}`}
                  >
                    Send test
                  </Button>
                  <Button
                    size="small"
                    onClick={() => setEditing(channel)}
                    data-testid={`channel-edit-${channel.name}`}
                  >
                    Edit
                  </Button>
                  <Popconfirm
                    title={`Delete ${channel.name}?`}
                    description="Rules that notify through it stop using it."
                    okText="Delete"
                    okButtonProps={{ danger: true }}
                    onConfirm={() => remove(channel)}
                  >
                    <Button size="small" danger data-testid={`channel-delete-${channel.name}`}>
                      Delete
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <ChannelForm
        open={editing !== undefined}
        channel={editing === 'new' ? undefined : editing}
        kinds={kinds}
        sets={sets}
        onClose={() => setEditing(undefined)}
        onSaved={(channel, created) => {
          message.success(`${channel.name} ${created ? 'created' : 'saved'}`);
          reload();
        }}
      />
    </>
  );
}

function ChannelForm({
  open,
  channel,
  kinds,
  sets,
  onClose,
  onSaved,
}: {
  open: boolean;
  channel: Channel | undefined;
  kinds: string[];
  sets: TemplateSet[];
  onClose: () => void;
  onSaved: (channel: Channel, created: boolean) => void;
}) {
  const [form] = Form.useForm<ChannelFormValues>();
  const kind = Form.useWatch('kind', form);
  const values = useMemo(() => channelToForm(channel, kinds), [channel, kinds]);

  const submit = async (submitted: ChannelFormValues) => {
    if (channel) onSaved(await updateChannel(channel.id, channelChangeBody(submitted)), false);
    else onSaved(await createChannel(newChannelBody(submitted)), true);
  };

  return (
    <FormModal<ChannelFormValues>
      open={open}
      title={channel ? `Edit channel ${channel.name}` : 'New channel'}
      okText={channel ? 'Save' : 'Create'}
      name="channel"
      testId="channel-form"
      width={680}
      form={form}
      values={values}
      onSubmit={submit}
      onClose={onClose}
    >
      <Form.Item
        name="name"
        label="Name"
        rules={[{ required: true, whitespace: true, max: 100, message: 'a name, up to 100 characters' }]}
      >
        <Input autoComplete="off" placeholder="oncall-webhook" data-testid="channel-name" />
      </Form.Item>
      <Form.Item
        name="kind"
        label="Kind"
        extra={channel ? 'The kind of a channel does not change; create another channel instead.' : undefined}
        rules={[{ required: true, message: 'pick a kind' }]}
      >
        <Select
          disabled={channel !== undefined}
          options={kinds.map((k) => ({ value: k, label: k }))}
          onChange={(next: string) =>
            form.setFieldValue('config', configOnKindChange(form.getFieldValue('config'), next))
          }
          data-testid="channel-kind"
        />
      </Form.Item>
      <Form.Item
        name="config"
        label="Configuration (JSON)"
        extra={
          <Space size={4} wrap>
            {channel && (
              <span>
                Secrets show as •••••• — leave them so to keep the stored values, unless you change where the
                channel sends (its URL, host or port): then enter them again.
              </span>
            )}
            {kind && (
              <Button
                type="link"
                size="small"
                style={{ padding: 0 }}
                onClick={() => form.setFieldValue('config', exampleText(kind))}
              >
                Start over from the {kind} example
              </Button>
            )}
          </Space>
        }
        rules={[
          {
            validator: async (_, text: string | undefined) => {
              const parsed = parseConfig(text);
              if ('error' in parsed) throw new Error(parsed.error);
            },
          },
        ]}
      >
        <Input.TextArea rows={10} spellCheck={false} className="opsfleet-mono" data-testid="channel-config" />
      </Form.Item>
      <Form.Item
        name="templateId"
        label="Template set"
        extra="Optional: the titles and bodies of messages through this channel; empty for the defaults."
      >
        <Select
          allowClear
          placeholder="default templates"
          options={sets.map((s) => ({ value: s.id, label: s.name }))}
          data-testid="channel-template"
        />
      </Form.Item>
    </FormModal>
  );
}
