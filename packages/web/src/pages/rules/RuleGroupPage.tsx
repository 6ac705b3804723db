import {
  Alert,
  App,
  AutoComplete,
  Button,
  type ButtonProps,
  Card,
  Form,
  type FormInstance,
  Input,
  Popconfirm,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Tabs,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useEffect, useState } from 'react';
import { ApiError, errorText, type FieldProblem } from '../../api/client.ts';
import { listDatasources } from '../../api/datasources.ts';
import {
  createRuleGroup,
  getRuleGroup,
  type Revision,
  type RuleGroup,
  type RuleTest,
  restoreRevision,
  ruleGroupDiff,
  ruleGroupRevisions,
  testRule,
  updateRuleGroup,
} from '../../api/rule-groups.ts';
import { DiffLines } from '../../components/DiffLines.tsx';
import { EChart } from '../../components/EChart.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import { useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { ruleTestOption } from '../../rules-chart.ts';
import { type GroupValues, groupBody, groupValues, newRule, placeProblems } from '../../rules-form.ts';
import { groupPath, useCanWriteRules } from './RuleGroupsPage.tsx';

const SEVERITIES = ['critical', 'warning', 'info'].map((value) => ({ value }));

/** A rule group (or a new one, `id` "new"): its editor and, once saved, its revisions. */
export function RuleGroupPage({ id }: { id: string }) {
  const isNew = id === 'new';
  const load = useCallback(
    async (signal: AbortSignal) => (isNew ? undefined : await getRuleGroup(id, signal)),
    [id, isNew],
  );
  const { data: group, error, loading, reload } = useLoad(load);
  const [tab, setTab] = useState('editor');

  if (error) return <Alert type="error" showIcon title={error} />;
  if (loading && !group) return <Spin />;
  return (
    <div data-testid="rule-group-page">
      <Space wrap style={{ marginBottom: 16 }}>
        <Typography.Link onClick={() => navigate('/alerting-rules')}>Alerting rules</Typography.Link>
        <span>/</span>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {group?.name ?? 'New rule group'}
        </Typography.Title>
        {group && <span data-testid="rule-group-current-revision">revision {group.revision}</span>}
      </Space>
      {group ? (
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            { key: 'editor', label: 'Editor', children: <GroupEditor group={group} onSaved={reload} /> },
            {
              key: 'revisions',
              label: <span data-testid="tab-revisions">Revisions</span>,
              children: (
                <Revisions
                  // A save or restore is a new revision: list them again.
                  key={group.revision}
                  group={group}
                  onRestored={() => {
                    reload();
                    setTab('editor');
                  }}
                />
              ),
            },
          ]}
        />
      ) : (
        <GroupEditor
          group={undefined}
          onSaved={(saved) => navigate(groupPath(saved.id), { replace: true })}
        />
      )}
    </div>
  );
}

function GroupEditor({
  group,
  onSaved,
}: {
  group: RuleGroup | undefined;
  onSaved: (saved: RuleGroup) => void;
}) {
  const { message } = App.useApp();
  const [form] = Form.useForm<GroupValues>();
  const loadSources = useCallback((signal: AbortSignal) => listDatasources(signal), []);
  const { data: sources } = useLoad(loadSources);
  const [problem, setProblem] = useState<{ detail: string; rest: FieldProblem[] }>();
  const [busy, setBusy] = useState(false);
  const canWrite = useCanWriteRules();

  // A saved revision (or a restore) starts the editor over from the stored group, new rule ids included.
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(groupValues(group));
  }, [form, group]);

  const save = async (v: GroupValues) => {
    setProblem(undefined);
    const built = groupBody(v);
    if ('error' in built) {
      const placed = placeProblems([built.error]);
      form.setFields(placed.fields);
      setProblem({ detail: 'Not saved: see the marked field.', rest: placed.rest });
      return;
    }
    setBusy(true);
    try {
      const saved = group ? await updateRuleGroup(group.id, built.body) : await createRuleGroup(built.body);
      message.success(
        group && saved.revision === group.revision
          ? 'Nothing changed'
          : `Saved as revision ${saved.revision}`,
      );
      onSaved(saved);
    } catch (err) {
      const placed = placeProblems(err instanceof ApiError ? err.errors : []);
      form.setFields(placed.fields);
      setProblem({
        detail:
          placed.fields.length > 0 && placed.rest.length === 0
            ? 'Not saved: see the marked fields.'
            : errorText(err),
        rest: placed.rest,
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form<GroupValues> form={form} name="rule-group" layout="vertical" requiredMark={false} onFinish={save}>
      <Space align="start" wrap style={{ width: '100%' }}>
        <Form.Item name="name" label="Name" rules={[{ required: true, whitespace: true, message: 'a name' }]}>
          <Input data-testid="group-name" style={{ width: 'min(260px, 80vw)' }} />
        </Form.Item>
        <Form.Item name="datasourceId" label="Data source" extra="Where it runs, and what Test queries.">
          <Select
            data-testid="group-datasource"
            allowClear
            style={{ width: 'min(260px, 80vw)' }}
            placeholder="none"
            options={(sources?.items ?? [])
              .filter((s) => s.kind !== 'alertmanager')
              .map((s) => ({ value: s.id, label: s.name }))}
          />
        </Form.Item>
        <Form.Item name="interval" label="Interval" extra="Empty: the peer's global one.">
          <Input data-testid="group-interval" placeholder="1m" style={{ width: 120 }} />
        </Form.Item>
      </Space>
      <Form.List name="rules">
        {(fields, { add, remove }) => (
          <>
            {fields.map((field, index) => (
              <Card
                key={field.key}
                size="small"
                data-testid={`rule-card-${index}`}
                style={{ marginBottom: 16 }}
                title={
                  <Form.Item noStyle shouldUpdate>
                    {() => form.getFieldValue(['rules', field.name, 'name']) || `Rule ${index + 1}`}
                  </Form.Item>
                }
                extra={
                  canWrite && (
                    <Button size="small" danger onClick={() => remove(field.name)}>
                      Remove
                    </Button>
                  )
                }
              >
                {/* Registered so the save sends it: antd submits only the fields it has items for. */}
                <Form.Item name={[field.name, 'id']} hidden>
                  <Input />
                </Form.Item>
                <Space align="start" wrap style={{ width: '100%' }}>
                  <Form.Item
                    name={[field.name, 'name']}
                    label="Alert name"
                    rules={[{ required: true, whitespace: true, message: 'a name' }]}
                  >
                    <Input data-testid="rule-name" style={{ width: 'min(240px, 80vw)' }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'for']} label="For">
                    <Input data-testid="rule-for" placeholder="5m" style={{ width: 100 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'keepFiringFor']} label="Keep firing for">
                    <Input data-testid="rule-keep-firing-for" style={{ width: 120 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'severity']} label="Severity">
                    <AutoComplete data-testid="rule-severity" options={SEVERITIES} style={{ width: 140 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'enabled']} label="Enabled" valuePropName="checked">
                    <Switch data-testid="rule-enabled" />
                  </Form.Item>
                </Space>
                <Form.Item
                  name={[field.name, 'expr']}
                  label="Expression (PromQL)"
                  rules={[{ required: true, whitespace: true, message: 'an expression' }]}
                >
                  <Input.TextArea
                    data-testid="rule-expr"
                    className="opsfleet-mono"
                    autoSize={{ minRows: 2, maxRows: 12 }}
                    spellCheck={false}
                  />
                </Form.Item>
                <Space align="start" wrap style={{ width: '100%' }}>
                  <Form.Item name={[field.name, 'labels']} label="Labels (name=value, comma separated)">
                    <Input
                      data-testid="rule-labels"
                      placeholder="team=ops"
                      style={{ width: 'min(320px, 80vw)' }}
                    />
                  </Form.Item>
                  <Form.Item name={[field.name, 'annotations']} label="Annotations (name=value, one a line)">
                    <Input.TextArea
                      data-testid="rule-annotations"
                      className="opsfleet-mono"
                      autoSize={{ minRows: 1, maxRows: 8 }}
                      placeholder="summary={{ $labels.instance }} is down"
                      style={{ width: 'min(480px, 80vw)' }}
                    />
                  </Form.Item>
                </Space>
                <RuleTestPanel form={form} index={field.name} />
              </Card>
            ))}
            {canWrite && (
              <Button onClick={() => add(newRule())} style={{ marginBottom: 16 }} data-testid="rule-add">
                Add rule
              </Button>
            )}
          </>
        )}
      </Form.List>
      {canWrite && (
        <>
          <Form.Item name="comment" label="Comment (why, kept with the revision)">
            <Input data-testid="group-comment" />
          </Form.Item>
          {problem && (
            <Alert
              type="error"
              showIcon
              data-testid="group-error"
              style={{ marginBottom: 16 }}
              title={problem.detail}
              description={
                problem.rest.length > 0 ? (
                  <div>
                    {problem.rest.map((p) => (
                      <div key={`${p.path}:${p.message}`}>
                        {p.path ? `${p.path}: ${p.message}` : p.message}
                      </div>
                    ))}
                  </div>
                ) : undefined
              }
            />
          )}
          <Button type="primary" htmlType="submit" loading={busy} data-testid="group-save">
            Save
          </Button>
        </>
      )}
    </Form>
  );
}

const HOURS = [1, 3, 6, 24].map((h) => ({ value: h, label: `Last ${h} h` }));

/** Runs the rule's expression on the group's data source: how many series now, and when it would have fired. */
function RuleTestPanel({ form, index }: { form: FormInstance<GroupValues>; index: number }) {
  const [hours, setHours] = useState(3);
  const [answer, setAnswer] = useState<RuleTest>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    const datasourceId = form.getFieldValue('datasourceId') as string | undefined;
    const rule = form.getFieldValue(['rules', index]) as GroupValues['rules'][number];
    setAnswer(undefined);
    setError(undefined);
    if (!datasourceId) {
      setError('Pick the group’s data source first: the test runs there.');
      return;
    }
    setBusy(true);
    try {
      setAnswer(
        await testRule({
          datasource_id: datasourceId,
          expr: rule.expr ?? '',
          for: (rule.for ?? '').trim(),
          hours,
        }),
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="rule-test">
      <Space wrap>
        <Button loading={busy} onClick={() => void run()} data-testid="rule-test-run">
          Test
        </Button>
        <Select value={hours} onChange={setHours} options={HOURS} style={{ width: 120 }} />
        {answer && (
          <Typography.Text data-testid="rule-test-firing-now" data-count={answer.firingNow}>
            {answer.firingNow === 0
              ? 'Not firing now (no series).'
              : `${answer.firingNow} series match now (pending or firing).`}
            {answer.truncated && ' Only the first 500 series are drawn.'}
          </Typography.Text>
        )}
      </Space>
      {error && (
        <Alert type="error" showIcon title={error} data-testid="rule-test-error" style={{ marginTop: 8 }} />
      )}
      {answer &&
        (answer.series.length > 0 ? (
          <EChart
            option={ruleTestOption(answer)}
            height={Math.min(400, 160 + answer.series.length * 12)}
            label="When the rule would have been pending and firing"
            testId="rule-test-chart"
          />
        ) : (
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            No series in the last {hours} h: it would not have fired.
          </Typography.Paragraph>
        ))}
    </div>
  );
}

/** The revisions: pick two to see how the rule file changed, or restore one. */
function Revisions({ group, onRestored }: { group: RuleGroup; onRestored: () => void }) {
  const { message } = App.useApp();
  const load = useCallback((signal: AbortSignal) => ruleGroupRevisions(group.id, signal), [group.id]);
  const { data, error } = useLoad(load);
  const [picked, setPicked] = useState<number[]>([]);
  const canWrite = useCanWriteRules();

  const restore = async (revision: number) => {
    try {
      const saved = await restoreRevision(group.id, revision, `restore revision ${revision}`);
      message.success(`Revision ${revision} restored as revision ${saved.revision}`);
      setPicked([]);
      onRestored();
    } catch (err) {
      message.error(errorText(err));
    }
  };

  const [from, to] = [...picked].sort((a, b) => a - b);
  return (
    <div data-testid="revisions">
      {error && <Alert type="error" showIcon title={error} />}
      <Typography.Paragraph type="secondary">
        Pick two revisions to see how the rule file changed.
      </Typography.Paragraph>
      <Table<Revision>
        rowKey="revision"
        size="small"
        pagination={false}
        dataSource={data?.items ?? []}
        rowSelection={{
          selectedRowKeys: picked,
          // The newest two picks: a third pick lets the oldest go.
          onChange: (keys) => setPicked((keys as number[]).slice(-2)),
          hideSelectAll: true,
        }}
        onRow={(r) => ({ 'data-testid': `revision-row-${r.revision}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          { title: 'Revision', dataIndex: 'revision' },
          { title: 'Author', dataIndex: 'author' },
          { title: 'Comment', dataIndex: 'comment' },
          { title: 'Time', dataIndex: 'createdAt', render: (iso: string) => <RelativeTime iso={iso} /> },
          {
            title: '',
            key: 'restore',
            render: (_: unknown, r) =>
              canWrite &&
              r.revision !== group.revision && (
                <Popconfirm
                  title={`Save revision ${r.revision}'s rules as a new revision?`}
                  okText="Restore"
                  okButtonProps={{ 'data-testid': 'revision-restore-confirm' } as ButtonProps}
                  onConfirm={() => restore(r.revision)}
                >
                  <Button size="small" data-testid="revision-restore">
                    Restore
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {from !== undefined && to !== undefined && <DiffView groupId={group.id} from={from} to={to} />}
    </div>
  );
}

function DiffView({ groupId, from, to }: { groupId: string; from: number; to: number }) {
  const load = useCallback(
    (signal: AbortSignal) => ruleGroupDiff(groupId, from, to, signal),
    [groupId, from, to],
  );
  const { data, error } = useLoad(load);
  if (error) return <Alert type="error" showIcon title={error} />;
  if (!data) return <Spin />;
  return (
    <Card size="small" title={`Revision ${from} → ${to} (Prometheus rule file)`} style={{ marginTop: 16 }}>
      {data.changed ? (
        <DiffLines diff={data.diff} testId="revision-diff" />
      ) : (
        <Typography.Text data-testid="revision-diff-none">The rule files are the same.</Typography.Text>
      )}
    </Card>
  );
}
