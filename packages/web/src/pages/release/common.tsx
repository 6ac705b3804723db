import { Tag } from 'antd';
import type { InstallationState, TargetState, TaskState } from '../../api/release.ts';
import { useSession } from '../../hooks.ts';
import { INSTALLATION_COLORS } from '../../release-matrix.ts';
import { TARGET_STATE_COLORS, TASK_STATE_COLORS } from '../../release-task-steps.ts';

/** Admins and operators deploy and approve (release:deploy, release:approve); viewers read. */
export function useCanDeploy(): boolean {
  const role = useSession()?.user.role;
  return role === 'admin' || role === 'operator';
}

const words = (s: string) => s.replace(/_/g, ' ');

export function TaskStateTag({ state }: { state: TaskState }) {
  return (
    <span data-testid="task-state" data-state={state}>
      <Tag color={TASK_STATE_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
        {words(state)}
      </Tag>
    </span>
  );
}

export function TargetStateTag({ state }: { state: TargetState }) {
  return (
    <span data-testid="target-state" data-state={state}>
      <Tag color={TARGET_STATE_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
        {state}
      </Tag>
    </span>
  );
}

export function InstallationTag({ state }: { state: InstallationState }) {
  return (
    <Tag color={INSTALLATION_COLORS[state] ?? 'default'} style={{ marginInlineEnd: 0 }}>
      {words(state)}
    </Tag>
  );
}
