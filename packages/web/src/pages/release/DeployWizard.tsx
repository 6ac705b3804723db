import { Alert, Form, Input, InputNumber, Radio, Select, Space, Spin, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import {
  createTask,
  listEnvironments,
  listTargets,
  listVersions,
  OPERATIONS,
  type Preview,
  previewTask,
} from '../../api/release.ts';
import { FormModal } from '../../components/FormModal.tsx';
import { ProblemAlert } from '../../components/ProblemAlert.tsx';
import { useLoad } from '../../hooks.ts';
import {
  previewBatches,
  selectionBody,
  taskBody,
  WIZARD_DEFAULTS,
  type WizardValues,
} from '../../release-wizard.ts';
import { navigate } from '../../router.ts';
import { taskPath } from './TasksTab.tsx';

/** Asked again this long after the last change of the selection. */
const PREVIEW_DELAY_MS = 300;

type PreviewState =
  | { state: 'incomplete'; problems: Record<string, string> }
  | { state: 'loading' }
  | { state: 'ok'; preview: Preview }
  | { state: 'refused'; error: unknown };

/**
 * A new deploy task: environment, version, operation, targets (picked, or auto-selected by the
 * version they have), strategy, failure strategy and start. The server's preview of the targets
 * and batches it would take (or why none) follows every change; only a task with targets starts.
 */
export function DeployWizard({
  projectId,
  open,
  onClose,
}: {
  projectId: string;
  open: boolean;
  onClose: () => void;
}) {
  const [form] = Form.useForm<WizardValues>();
  const values = Form.useWatch([], form) as WizardValues | undefined;
  const loadChoices = useCallback(
    async (signal: AbortSignal) => {
      if (!open) return undefined;
      const [envs, versions, targets] = await Promise.all([
        listEnvironments(projectId, signal),
        listVersions(projectId, undefined, signal),
        listTargets(projectId, undefined, signal),
      ]);
      return { envs: envs.items, versions: versions.items, targets: targets.items };
    },
    [projectId, open],
  );
  const { data: choices, error: choicesError } = useLoad(loadChoices);
  const [preview, setPreview] = useState<PreviewState>({ state: 'incomplete', problems: {} });

  const v = { ...WIZARD_DEFAULTS, ...values };
  const selection = selectionBody(projectId, v);
  const selectionKey = JSON.stringify(selection);
  useEffect(() => {
    if (!open) return;
    const built = JSON.parse(selectionKey) as ReturnType<typeof selectionBody>;
    if (!built.ok) {
      setPreview({ state: 'incomplete', problems: built.problems });
      return;
    }
    const abort = new AbortController();
    setPreview({ state: 'loading' });
    const timer = setTimeout(() => {
      previewTask(built.body, abort.signal)
        .then((p) => setPreview({ state: 'ok', preview: p }))
        .catch((error: unknown) => {
          if (!abort.signal.aborted) setPreview({ state: 'refused', error });
        });
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [open, selectionKey]);

  const envTargets = (choices?.targets ?? []).filter((t) => t.environment.id === v.environment);
  const targetOptions = envTargets.map((t) => ({ value: t.agent.id, label: t.agent.name }));

  return (
    <FormModal<WizardValues>
      open={open}
      title="Deploy"
      okText="Start task"
      width={760}
      name="release-deploy"
      testId="release-deploy-form"
      form={form}
      values={WIZARD_DEFAULTS}
      onClose={onClose}
      onSubmit={async (submitted) => {
        const built = taskBody(projectId, { ...WIZARD_DEFAULTS, ...submitted });
        if (!built.ok)
          throw new Error(
            Object.entries(built.problems)
              .map(([k, m]) => `${k}: ${m}`)
              .join('; '),
          );
        if (preview.state === 'loading') throw new Error('the preview has not answered yet: try again');
        if (preview.state !== 'ok') throw new Error('this task would take no targets: the preview says why');
        const task = await createTask(built.body);
        navigate(taskPath(task.id));
      }}
    >
      {choicesError && <Alert type="error" showIcon title={choicesError} style={{ marginBottom: 12 }} />}
      <Space wrap size="middle" align="start">
        <Form.Item
          name="environment"
          label="Environment"
          rules={[{ required: true, message: 'an environment' }]}
        >
          <Select
            style={{ width: 180 }}
            data-testid="deploy-env"
            options={choices?.envs.map((e) => ({ value: e.id, label: e.name }))}
            placeholder="environment"
          />
        </Form.Item>
        <Form.Item name="version" label="Version" rules={[{ required: true, message: 'a version' }]}>
          <Select
            style={{ width: 180 }}
            data-testid="deploy-version"
            options={choices?.versions.map((x) => ({
              value: x.id,
              label: x.version,
              disabled: x.status === 'deprecated',
            }))}
            placeholder="version"
          />
        </Form.Item>
        <Form.Item name="operation" label="Operation">
          <Select
            style={{ width: 140 }}
            data-testid="deploy-operation"
            options={OPERATIONS.map((o) => ({ value: o, label: o }))}
          />
        </Form.Item>
      </Space>
      <Form.Item name="selection" label="Targets">
        <Radio.Group
          data-testid="deploy-selection"
          options={[
            { value: 'auto', label: 'Auto-select by installed version' },
            { value: 'pick', label: 'Pick targets' },
          ]}
        />
      </Form.Item>
      {v.selection === 'auto' ? (
        <Form.Item name="sourceVersion" label="Source version (empty: every target with something installed)">
          <Select
            allowClear
            style={{ width: 240 }}
            data-testid="deploy-source-version"
            options={choices?.versions.map((x) => ({ value: x.version, label: x.version }))}
            placeholder="any installed"
          />
        </Form.Item>
      ) : (
        <Form.Item name="clients" label="Agents of this environment">
          <Select
            mode="multiple"
            data-testid="deploy-clients"
            options={targetOptions}
            placeholder="targets"
          />
        </Form.Item>
      )}
      <Form.Item name="strategy" label="Strategy">
        <Radio.Group
          data-testid="deploy-strategy"
          options={[
            { value: 'all-at-once', label: 'All at once' },
            { value: 'rolling', label: 'Rolling' },
            { value: 'canary', label: 'Canary' },
          ]}
        />
      </Form.Item>
      {v.strategy === 'rolling' && (
        <Space wrap>
          <Form.Item name="batchSize" label="Targets per batch">
            <InputNumber min={1} data-testid="deploy-batch-size" />
          </Form.Item>
          <Form.Item name="intervalSeconds" label="Seconds between batches">
            <InputNumber min={0} max={86400} />
          </Form.Item>
        </Space>
      )}
      {v.strategy === 'canary' && (
        <Space wrap align="start">
          <Form.Item name="canaryBy" label="Canary">
            <Radio.Group
              options={[
                { value: 'percent', label: 'A share' },
                { value: 'targets', label: 'Chosen targets' },
              ]}
            />
          </Form.Item>
          {v.canaryBy === 'targets' ? (
            <Form.Item name="canaryTargets" label="First">
              <Select mode="multiple" style={{ minWidth: 240 }} options={targetOptions} />
            </Form.Item>
          ) : (
            <Form.Item name="canaryPercent" label="Percent first (rounded up)">
              <InputNumber min={1} max={100} />
            </Form.Item>
          )}
        </Space>
      )}
      <Space wrap size="middle">
        <Form.Item name="failureStrategy" label="On a failure">
          <Select
            style={{ width: 220 }}
            data-testid="deploy-failure"
            options={[
              { value: 'continue', label: 'continue with the rest' },
              { value: 'pause', label: 'pause the task' },
              { value: 'abort', label: 'abort (skip the rest)' },
            ]}
          />
        </Form.Item>
        <Form.Item name="scheduledAt" label="Start (your local time; empty: now)">
          <Input type="datetime-local" data-testid="deploy-scheduled" />
        </Form.Item>
      </Space>
      <PreviewPanel preview={preview} />
    </FormModal>
  );
}

/** The targets the task would take, batch by batch, or why it would take none. */
function PreviewPanel({ preview }: { preview: PreviewState }) {
  return (
    <div data-testid="deploy-preview" data-state={preview.state}>
      <Typography.Title level={5}>Preview</Typography.Title>
      {preview.state === 'incomplete' && (
        <Typography.Text type="secondary">
          {Object.values(preview.problems).join('; ') || 'choose the environment and targets'}
        </Typography.Text>
      )}
      {preview.state === 'loading' && <Spin size="small" />}
      {preview.state === 'refused' && <ProblemAlert error={preview.error} testId="deploy-preview-error" />}
      {preview.state === 'ok' && (
        <Space orientation="vertical" size={4}>
          <Typography.Text>
            {preview.preview.targets.length} target{preview.preview.targets.length === 1 ? '' : 's'} in{' '}
            {preview.preview.environment.name}:
          </Typography.Text>
          {previewBatches(preview.preview).map((b) => (
            <div key={b.batch} data-testid="deploy-preview-batch" data-batch={b.batch}>
              {/* The server counts batches from 0. */}
              <Typography.Text type="secondary">Batch {b.batch + 1}: </Typography.Text>
              {b.agents.map((a) => (
                <Tag key={a} style={{ marginInlineEnd: 4 }}>
                  {a}
                </Tag>
              ))}
            </div>
          ))}
        </Space>
      )}
    </div>
  );
}
