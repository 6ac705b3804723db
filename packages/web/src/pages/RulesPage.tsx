import {
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  type FormInstance,
  type FormRule,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Select,
  Space,
  Switch,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { errorText } from '../api/client.ts';
import {
  createRule,
  deleteRule,
  listChannels,
  listRules,
  listTemplateSets,
  updateRule,
} from '../api/notify.ts';
import { type Channel, RULE_SEVERITIES, type Rule, type TemplateSet } from '../api/notify-types.ts';
import { FormModal } from '../components/FormModal.tsx';
import { ListPage } from '../components/ListPage.tsx';
import { SeverityTag } from '../components/Tags.tsx';
import { duration } from '../format.ts';
import { useLoad, useSession } from '../hooks.ts';
import {
  browserTimeZone,
  formToRule,
  matcherStrings,
  newWindow,
  problemAt,
  RULE_DEFAULTS,
  type RuleFormValues,
  ruleToForm,
  WEEKDAYS,
  withEnabled,
} from '../rule-form.ts';

const NO_CHANNELS: Channel[] = [];
const NO_SETS: TemplateSet[] = [];
const GROUP_BY_SUGGESTIONS = ['alertname', 'instance', 'job', 'team', 'severity', 'cluster'];
const DAY_OPTIONS = WEEKDAYS.map((label, value) => ({ label, value }));

const tagList = (items: string[], mono = false) => (
  <span style={{ display: 'inline-flex', flexWrap: 'wrap', gap: 4 }}>
    {items.map((item) => (
      <Tag key={item} className={mono ? 'opsfleet-mono' : undefined} style={{ marginInlineEnd: 0 }}>
        {item}
      </Tag>
    ))}
  </span>
);

/** Notification rules: which alerts go to which channels, when, grouped how, escalated to whom. */
export function RulesPage() {
  const { message } = App.useApp();
  const canWrite = useSession()?.user.role !== 'viewer';
  const load = useCallback((signal: AbortSignal) => listRules(signal), []);
  const { data, error, loading, reload } = useLoad(load);
  const loadChannels = useCallback((signal: AbortSignal) => listChannels(signal), []);
  const channels = useLoad(loadChannels).data ?? NO_CHANNELS;
  const loadSets = useCallback((signal: AbortSignal) => listTemplateSets(signal), []);
  const sets = useLoad(loadSets).data ?? NO_SETS;
  const [editing, setEditing] = useState<Rule | 'new'>();
  const [switching, setSwitching] = useState<string>();
  const channelName = (id: string) => channels.find((c) => c.id === id)?.name ?? id.slice(0, 8);

  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      message.success(done);
      reload();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  const toggle = async (rule: Rule, enabled: boolean) => {
    setSwitching(rule.id);
    await run(
      () => updateRule(rule.id, withEnabled(rule, enabled)),
      `${rule.name} ${enabled ? 'on' : 'off'}`,
    );
    setSwitching(undefined);
  };

  return (
    <>
      <ListPage<Rule>
        title="Notification rules"
        actions={
          canWrite && (
            <Button type="primary" onClick={() => setEditing('new')} data-testid="rule-new">
              New rule
            </Button>
          )
        }
        error={error}
        loading={loading}
        rows={data}
        pageSize={50}
        locale={{ emptyText: 'No rules yet: alerts notify nobody' }}
        data-testid="rules-table"
        rowTestId={(rule) => `row-${rule.name}`}
        columns={[
          {
            title: 'Name',
            dataIndex: 'name',
            render: (name: string) => <Typography.Text strong>{name}</Typography.Text>,
          },
          {
            title: 'On',
            dataIndex: 'enabled',
            width: 70,
            render: (enabled: boolean, rule) => (
              <Switch
                size="small"
                checked={enabled}
                disabled={!canWrite}
                loading={switching === rule.id}
                onChange={(next) => toggle(rule, next)}
                data-testid={`rule-enabled-${rule.name}`}
              />
            ),
          },
          {
            title: 'Matchers',
            dataIndex: 'matchers',
            render: (matchers: Rule['matchers']) =>
              matchers.length ? (
                tagList(matcherStrings(matchers), true)
              ) : (
                <Typography.Text type="secondary">every alert</Typography.Text>
              ),
          },
          {
            title: 'Severities',
            dataIndex: 'severities',
            render: (severities: string[]) =>
              severities.length ? (
                <Space size={4} wrap>
                  {severities.map((s) => (
                    <SeverityTag key={s} severity={s} />
                  ))}
                </Space>
              ) : (
                <Typography.Text type="secondary">all</Typography.Text>
              ),
          },
          {
            title: 'Targets',
            dataIndex: 'steps',
            render: (steps: Rule['steps']) => (
              <div data-testid="rule-targets">
                {steps.map((step, i) => (
                  <div key={`${step.afterMinutes}:${step.channelIds.join()}`}>
                    <Typography.Text type="secondary">
                      {i === 0 ? 'at once' : `after ${duration(step.afterMinutes * 60)}`}:
                    </Typography.Text>{' '}
                    {step.channelIds.map(channelName).join(', ')}
                  </div>
                ))}
              </div>
            ),
          },
          {
            title: 'Group by',
            dataIndex: 'groupBy',
            render: (groupBy: string[]) =>
              groupBy.length ? (
                tagList(groupBy)
              ) : (
                <Typography.Text type="secondary">one group</Typography.Text>
              ),
          },
          {
            title: 'Timings',
            key: 'timings',
            width: 170,
            render: (_: unknown, rule) => (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                wait {duration(rule.groupWaitSeconds)} · interval {duration(rule.groupIntervalSeconds)}
                <br />
                repeat {duration(rule.repeatIntervalSeconds)}
                {rule.windows.length > 0 && ` · ${rule.windows.length} window(s)`}
              </Typography.Text>
            ),
          },
          {
            title: '',
            key: 'actions',
            width: 150,
            render: (_: unknown, rule) =>
              canWrite && (
                <Space size={4}>
                  <Button
                    size="small"
                    onClick={() => setEditing(rule)}
                    data-testid={`rule-edit-${rule.name}`}
                  >
                    Edit
                  </Button>
                  <Popconfirm
                    title={`Delete ${rule.name}?`}
                    description="Alerts it matches stop notifying through it."
                    okText="Delete"
                    okButtonProps={{ danger: true }}
                    onConfirm={() => run(() => deleteRule(rule.id), `${rule.name} deleted`)}
                  >
                    <Button size="small" danger data-testid={`rule-delete-${rule.name}`}>
                      Delete
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <RuleForm
        open={editing !== undefined}
        rule={editing === 'new' ? undefined : editing}
        channels={channels}
        sets={sets}
        onClose={() => setEditing(undefined)}
        onSaved={(rule, created) => {
          message.success(`${rule.name} ${created ? 'created' : 'saved'}`);
          reload();
        }}
      />
    </>
  );
}

/** A form rule that asks `rule-form.ts` what is wrong at `name`. */
const checkAt =
  (form: FormInstance<RuleFormValues>, name: (string | number)[]): FormRule =>
  () => ({
    validator: async () => {
      const problem = problemAt(form.getFieldsValue(true) as RuleFormValues, name);
      if (problem) throw new Error(problem);
    },
  });

function RuleForm({
  open,
  rule,
  channels,
  sets,
  onClose,
  onSaved,
}: {
  open: boolean;
  rule: Rule | undefined;
  channels: Channel[];
  sets: TemplateSet[];
  onClose: () => void;
  onSaved: (rule: Rule, created: boolean) => void;
}) {
  const [form] = Form.useForm<RuleFormValues>();
  const values = useMemo(() => ruleToForm(rule), [rule]);
  const channelOptions = channels.map((c) => ({ value: c.id, label: c.name, title: c.name }));
  const seconds = (field: 'groupWaitSeconds' | 'groupIntervalSeconds' | 'repeatIntervalSeconds') => (
    <InputNumber
      min={0}
      step={1}
      precision={0}
      suffix="s"
      placeholder={String(RULE_DEFAULTS[field])}
      style={{ width: '100%' }}
      data-testid={`rule-${field}`}
    />
  );

  const submit = async () => {
    // Every value, including list items the form has not validated on its own.
    const body = formToRule(form.getFieldsValue(true) as RuleFormValues);
    if (rule) onSaved(await updateRule(rule.id, body), false);
    else onSaved(await createRule(body), true);
  };

  return (
    <FormModal<RuleFormValues>
      open={open}
      title={rule ? `Edit rule ${rule.name}` : 'New notification rule'}
      okText={rule ? 'Save' : 'Create'}
      name="rule"
      testId="rule-form"
      width={860}
      form={form}
      values={values}
      onSubmit={submit}
      onClose={onClose}
    >
      <Row gutter={16}>
        <Col span={18}>
          <Form.Item
            name="name"
            label="Name"
            rules={[{ required: true, whitespace: true, max: 100, message: 'a name, up to 100 characters' }]}
          >
            <Input autoComplete="off" placeholder="db on-call" data-testid="rule-name" />
          </Form.Item>
        </Col>
        <Col span={6}>
          <Form.Item name="enabled" label="Enabled" valuePropName="checked">
            <Switch data-testid="rule-enabled" />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item
        name="matchers"
        label="Matchers"
        extra='Every matcher must match; none matches every alert. name="value", name!="value", name=~"regex", name!~"regex"; Enter after each.'
        rules={[checkAt(form, ['matchers'])]}
      >
        <Select
          mode="tags"
          open={false}
          suffixIcon={null}
          tokenSeparators={['\n']}
          placeholder='team="db"'
          className="opsfleet-mono"
          data-testid="rule-matchers"
        />
      </Form.Item>
      <Row gutter={16}>
        <Col span={12}>
          <Form.Item name="severities" label="Severities" extra="Empty: every severity.">
            <Select
              mode="tags"
              options={RULE_SEVERITIES.map((s) => ({ value: s, label: s }))}
              placeholder="all"
              data-testid="rule-severities"
            />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item
            name="groupBy"
            label="Group by"
            extra="Alerts with the same values of these labels go out in one message; empty: one group."
          >
            <Select
              mode="tags"
              options={GROUP_BY_SUGGESTIONS.map((s) => ({ value: s, label: s }))}
              placeholder="alertname"
              data-testid="rule-group-by"
            />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={16}>
        <Col span={8}>
          <Form.Item
            name="groupWaitSeconds"
            label="Group wait"
            tooltip="How long a new group waits for more alerts before the first message."
            rules={[checkAt(form, ['groupWaitSeconds'])]}
          >
            {seconds('groupWaitSeconds')}
          </Form.Item>
        </Col>
        <Col span={8}>
          <Form.Item
            name="groupIntervalSeconds"
            label="Group interval"
            tooltip="How long to wait before telling about alerts that join a group already notified."
            rules={[checkAt(form, ['groupIntervalSeconds'])]}
          >
            {seconds('groupIntervalSeconds')}
          </Form.Item>
        </Col>
        <Col span={8}>
          <Form.Item
            name="repeatIntervalSeconds"
            label="Repeat interval"
            tooltip="How long before a group that is still firing is notified again."
            rules={[checkAt(form, ['repeatIntervalSeconds'])]}
          >
            {seconds('repeatIntervalSeconds')}
          </Form.Item>
        </Col>
      </Row>

      <Typography.Text strong>Time windows</Typography.Text>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        None: at any time. Otherwise only inside one of them; an end before the start spans midnight.
      </Typography.Paragraph>
      <Form.List name="windows">
        {(fields, { add, remove }) => (
          <div style={{ marginBottom: 16 }} data-testid="rule-windows">
            {fields.map((field) => (
              <Card key={field.key} size="small" style={{ marginBottom: 8 }}>
                <Form.Item
                  name={[field.name, 'days']}
                  rules={[checkAt(form, ['windows', field.name, 'days'])]}
                  style={{ marginBottom: 8 }}
                >
                  <Checkbox.Group options={DAY_OPTIONS} />
                </Form.Item>
                <Space align="start" wrap>
                  <Form.Item
                    name={[field.name, 'from']}
                    label="From"
                    rules={[checkAt(form, ['windows', field.name, 'from'])]}
                  >
                    <Input placeholder="09:00" style={{ width: 90 }} />
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'to']}
                    label="To"
                    dependencies={[['windows', field.name, 'from']]}
                    rules={[checkAt(form, ['windows', field.name, 'to'])]}
                  >
                    <Input placeholder="18:00" style={{ width: 90 }} />
                  </Form.Item>
                  <Form.Item
                    name={[field.name, 'timeZone']}
                    label="Time zone"
                    rules={[checkAt(form, ['windows', field.name, 'timeZone'])]}
                  >
                    <Input placeholder="Asia/Shanghai" style={{ width: 200 }} />
                  </Form.Item>
                  <Form.Item label=" ">
                    <Button danger onClick={() => remove(field.name)}>
                      Remove
                    </Button>
                  </Form.Item>
                </Space>
              </Card>
            ))}
            <Button
              type="dashed"
              onClick={() => add(newWindow(browserTimeZone()))}
              data-testid="rule-add-window"
            >
              Add a time window
            </Button>
          </div>
        )}
      </Form.List>

      <Typography.Text strong>Steps</Typography.Text>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        The first step notifies at once; each further step notifies more channels while nobody has
        acknowledged the alert.
      </Typography.Paragraph>
      <Form.List name="steps">
        {(fields, { add, remove }) => (
          <div style={{ marginBottom: 16 }} data-testid="rule-steps">
            {fields.map((field, index) => (
              <Card
                key={field.key}
                size="small"
                style={{ marginBottom: 8 }}
                title={index === 0 ? 'Step 1: notify at once' : `Step ${index + 1}: escalate`}
                extra={
                  index > 0 && (
                    <Button size="small" danger onClick={() => remove(field.name)}>
                      Remove
                    </Button>
                  )
                }
              >
                {index > 0 && (
                  <Space align="start" wrap style={{ marginBottom: 8 }}>
                    <span style={{ lineHeight: '32px' }}>If not acknowledged within</span>
                    <Form.Item
                      name={[field.name, 'afterMinutes']}
                      rules={[checkAt(form, ['steps', field.name, 'afterMinutes'])]}
                      style={{ marginBottom: 0 }}
                    >
                      <InputNumber
                        min={1}
                        precision={0}
                        style={{ width: 90 }}
                        data-testid={`rule-step-${index}-after`}
                      />
                    </Form.Item>
                    <span style={{ lineHeight: '32px' }}>minutes, notify:</span>
                  </Space>
                )}
                <Form.Item
                  name={[field.name, 'channelIds']}
                  rules={[checkAt(form, ['steps', field.name, 'channelIds'])]}
                  style={{ marginBottom: 0 }}
                >
                  <Select
                    mode="multiple"
                    placeholder="channels"
                    options={channelOptions}
                    showSearch={{ optionFilterProp: 'label' }}
                    data-testid={`rule-step-${index}-channels`}
                  />
                </Form.Item>
              </Card>
            ))}
            <Button
              type="dashed"
              onClick={() => {
                const steps = (form.getFieldValue('steps') ?? []) as RuleFormValues['steps'];
                const last = steps[steps.length - 1]?.afterMinutes ?? 0;
                add({ afterMinutes: (last || 0) + 15, channelIds: [] });
              }}
              data-testid="rule-add-step"
            >
              Add an escalation step
            </Button>
          </div>
        )}
      </Form.List>

      <Form.Item name="templateId" label="Template set" extra="Optional: empty for the default templates.">
        <Select
          allowClear
          placeholder="default templates"
          options={sets.map((s) => ({ value: s.id, label: s.name }))}
          data-testid="rule-template"
        />
      </Form.Item>
    </FormModal>
  );
}
