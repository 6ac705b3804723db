import { App, Button, Col, Form, Input, Popconfirm, Row, Space, Tabs, Tag, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { errorText } from '../api/client.ts';
import {
  createTemplateSet,
  deleteTemplateSet,
  getTemplateDefaults,
  listTemplateSets,
  updateTemplateSet,
} from '../api/notify.ts';
import {
  NOTIFY_EVENTS,
  type NotifyEvent,
  type TemplateDefaults,
  type TemplateSet,
} from '../api/notify-types.ts';
import { FormModal } from '../components/FormModal.tsx';
import { ListPage } from '../components/ListPage.tsx';
import { RelativeTime } from '../components/RelativeTime.tsx';
import { TemplatePreview } from '../components/TemplatePreview.tsx';
import { useLoad, useSession } from '../hooks.ts';
import {
  formToTemplateSet,
  isOverridden,
  overriddenEvents,
  type TemplateFormValues,
  templateSetToForm,
} from '../template-form.ts';

/** Template sets: per event kind a title and a body (Liquid), overriding the defaults. */
export function TemplatesPage() {
  const { message } = App.useApp();
  const canWrite = useSession()?.user.role !== 'viewer';
  const load = useCallback((signal: AbortSignal) => listTemplateSets(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const loadDefaults = useCallback((signal: AbortSignal) => getTemplateDefaults(signal), []);
  const defaults = useLoad(loadDefaults);
  const [editing, setEditing] = useState<TemplateSet | 'new'>();

  const remove = async (set: TemplateSet) => {
    try {
      await deleteTemplateSet(set.id);
      message.success(`${set.name} deleted`);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  return (
    <>
      <ListPage<TemplateSet>
        title="Template sets"
        actions={
          canWrite && (
            <Button
              type="primary"
              onClick={() => setEditing('new')}
              disabled={!defaults.data}
              data-testid="template-new"
            >
              New template set
            </Button>
          )
        }
        error={error ?? defaults.error}
        loading={loading}
        rows={data}
        pageSize={50}
        locale={{ emptyText: 'No template sets: every message uses the defaults' }}
        data-testid="templates-table"
        rowTestId={(set) => `row-${set.name}`}
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
          },
          {
            title: 'Overrides',
            key: 'overrides',
            render: (_: unknown, set) => {
              const events = overriddenEvents(set);
              return events.length ? (
                <Space size={4} wrap>
                  {events.map((e) => (
                    <Tag key={e} color="blue" style={{ marginInlineEnd: 0 }}>
                      {e}
                    </Tag>
                  ))}
                </Space>
              ) : (
                <Typography.Text type="secondary">nothing (all defaults)</Typography.Text>
              );
            },
          },
          { title: 'Created by', dataIndex: 'createdBy', width: 140 },
          {
            title: 'Updated',
            dataIndex: 'updatedAt',
            width: 130,
            render: (v: string) => <RelativeTime iso={v} />,
          },
          {
            title: '',
            key: 'actions',
            width: 150,
            render: (_: unknown, set) => (
              <Space size={4}>
                <Button
                  size="small"
                  onClick={() => setEditing(set)}
                  disabled={!defaults.data}
                  data-testid={`template-edit-${set.name}`}
                >
                  {canWrite ? 'Edit' : 'View'}
                </Button>
                {canWrite && (
                  <Popconfirm
                    title={`Delete ${set.name}?`}
                    description="Refused while a rule or a channel uses it."
                    okText="Delete"
                    okButtonProps={{ danger: true }}
                    onConfirm={() => remove(set)}
                  >
                    <Button size="small" danger data-testid={`template-delete-${set.name}`}>
                      Delete
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      >
        <Typography.Paragraph type="secondary">
          Messages use the default templates unless a rule or a channel names a set; a set overrides the
          events it has and leaves the rest to the defaults.
        </Typography.Paragraph>
      </ListPage>
      {defaults.data && (
        <TemplateForm
          open={editing !== undefined}
          set={editing === 'new' ? undefined : editing}
          defaults={defaults.data}
          onClose={() => setEditing(undefined)}
          onSaved={(set, created) => {
            message.success(`${set.name} ${created ? 'created' : 'saved'}`);
            reload();
          }}
        />
      )}
    </>
  );
}

function TemplateForm({
  open,
  set,
  defaults,
  onClose,
  onSaved,
}: {
  open: boolean;
  set: TemplateSet | undefined;
  defaults: TemplateDefaults;
  onClose: () => void;
  onSaved: (set: TemplateSet, created: boolean) => void;
}) {
  const [form] = Form.useForm<TemplateFormValues>();
  const [event, setEvent] = useState<NotifyEvent>('firing');
  const values = useMemo(() => templateSetToForm(set, defaults), [set, defaults]);
  const watched = Form.useWatch([], form) as TemplateFormValues | undefined;
  const current = watched?.templates?.[event];

  const submit = async (submitted: TemplateFormValues) => {
    const body = formToTemplateSet(submitted, defaults);
    if (set) onSaved(await updateTemplateSet(set.id, body), false);
    else onSaved(await createTemplateSet(body), true);
  };

  return (
    <FormModal<TemplateFormValues>
      open={open}
      title={set ? `Edit template set ${set.name}` : 'New template set'}
      okText={set ? 'Save' : 'Create'}
      name="template-set"
      testId="template-form"
      width={1160}
      form={form}
      values={values}
      onSubmit={submit}
      onInvalid={({ errorFields }) => {
        const where = errorFields[0]?.name;
        if (where?.[0] === 'templates') setEvent(where[1] as NotifyEvent);
      }}
      onClose={onClose}
    >
      <Form.Item
        name="name"
        label="Name"
        rules={[{ required: true, whitespace: true, max: 100, message: 'a name, up to 100 characters' }]}
      >
        <Input autoComplete="off" placeholder="short chat messages" data-testid="template-name" />
      </Form.Item>
      <Row gutter={24}>
        <Col span={13}>
          <Tabs
            activeKey={event}
            onChange={(key) => setEvent(key as NotifyEvent)}
            items={NOTIFY_EVENTS.map((e) => ({
              key: e,
              // Every tab stays mounted, so that every event's fields are submitted.
              forceRender: true,
              label: (
                <span data-testid={`template-tab-${e}`}>
                  {e}
                  {watched && isOverridden(watched, e, defaults) && (
                    <Tag color="blue" style={{ marginInlineStart: 6, marginInlineEnd: 0 }}>
                      custom
                    </Tag>
                  )}
                </span>
              ),
              children: (
                <>
                  <Form.Item
                    name={['templates', e, 'title']}
                    label="Title"
                    rules={[{ required: true, message: `a title for ${e} messages` }]}
                  >
                    <Input className="opsfleet-mono" data-testid={`template-title-${e}`} />
                  </Form.Item>
                  <Form.Item
                    name={['templates', e, 'body']}
                    label="Body (Markdown)"
                    rules={[{ required: true, message: `a body for ${e} messages` }]}
                    extra={
                      <>
                        Liquid (at most 20,000 characters):{' '}
                        <Typography.Text code>{'{{ count }}'}</Typography.Text>{' '}
                        <Typography.Text code>{'{{ groupName }}'}</Typography.Text>{' '}
                        <Typography.Text code>{'{{ actor }}'}</Typography.Text>{' '}
                        <Typography.Text code>{'{{ note }}'}</Typography.Text>{' '}
                        <Typography.Text code>{'{{ waitedMinutes }}'}</Typography.Text>{' '}
                        <Typography.Text code>{'{{ othersFiring }}'}</Typography.Text>{' '}
                        <Typography.Text code>{'{% for alert in alerts %}…{% endfor %}'}</Typography.Text>{' '}
                        with{' '}
                        <Typography.Text code>
                          {
                            '{{ alert.name }} {{ alert.severity }} {{ alert.summary }} {{ alert.labels.instance }} {{ alert.link }}'
                          }
                        </Typography.Text>
                        ; conditions:{' '}
                        <Typography.Text code>{'{% if note != blank %}…{% endif %}'}</Typography.Text>. A
                        template that fails when a notification is sent is replaced by the default for that
                        one.
                      </>
                    }
                  >
                    <Input.TextArea
                      rows={12}
                      spellCheck={false}
                      className="opsfleet-mono"
                      data-testid={`template-body-${e}`}
                    />
                  </Form.Item>
                  <Button
                    size="small"
                    disabled={!watched || !isOverridden(watched, e, defaults)}
                    onClick={() => form.setFieldValue(['templates', e], { ...defaults[e] })}
                    data-testid={`template-reset-${e}`}
                  >
                    Back to the default
                  </Button>
                </>
              ),
            }))}
          />
        </Col>
        <Col span={11}>
          {open && <TemplatePreview event={event} title={current?.title} body={current?.body} />}
        </Col>
      </Row>
    </FormModal>
  );
}
