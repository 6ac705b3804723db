import { Tag } from 'antd';
import {
  DELIVERY_STATUS_COLORS,
  OUTBOX_STATE_COLORS,
  ROLE_COLORS,
  SEVERITY_COLORS,
  STATE_COLORS,
} from '../format.ts';

export function StateTag({ state, testId = 'alert-state' }: { state: string; testId?: string }) {
  return (
    <span data-testid={testId} data-state={state}>
      <Tag color={STATE_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
        {state}
      </Tag>
    </span>
  );
}

export function SeverityTag({ severity }: { severity: string }) {
  return (
    <Tag color={SEVERITY_COLORS[severity] ?? 'default'} style={{ marginInlineEnd: 0 }}>
      {severity}
    </Tag>
  );
}

export function RoleTag({ role }: { role: string }) {
  return <Tag color={ROLE_COLORS[role] ?? 'default'}>{role}</Tag>;
}

/** Labels as `name=value` tags; `max` shows the first few and a count of the rest. */
export function LabelTags({
  labels,
  max,
  hide = [],
}: {
  labels: Record<string, string>;
  max?: number;
  hide?: string[];
}) {
  const entries = Object.entries(labels)
    .filter(([name]) => !hide.includes(name))
    .sort(([a], [b]) => a.localeCompare(b));
  const shown = max === undefined ? entries : entries.slice(0, max);
  return (
    <span style={{ display: 'inline-flex', flexWrap: 'wrap', gap: 4 }}>
      {shown.map(([name, value]) => (
        <Tag key={name} className="opsfleet-mono" style={{ marginInlineEnd: 0 }}>
          {name}={value}
        </Tag>
      ))}
      {entries.length > shown.length && (
        <Tag style={{ marginInlineEnd: 0 }}>+{entries.length - shown.length}</Tag>
      )}
    </span>
  );
}

/** A delivery attempt's status: ok, failed, sending, interrupted. */
export function DeliveryStatusTag({ status }: { status: string }) {
  return (
    <span data-testid="delivery-status" data-status={status}>
      <Tag color={DELIVERY_STATUS_COLORS[status] ?? 'default'} style={{ marginInlineEnd: 0 }}>
        {status}
      </Tag>
    </span>
  );
}

/** An outbox entry's state: pending, delivered, dead, discarded. */
export function OutboxStateTag({ state }: { state: string }) {
  return (
    <Tag color={OUTBOX_STATE_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
      {state}
    </Tag>
  );
}
