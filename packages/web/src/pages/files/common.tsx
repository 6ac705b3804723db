import { Segmented, Tag } from 'antd';
import type { FileState, TaskState } from '../../api/files.ts';
import { useSession } from '../../hooks.ts';
import { navigate } from '../../router.ts';

export const filePath = (id: string) => `/files/${encodeURIComponent(id)}`;
export const taskPath = (id: string) => `/files/tasks/${encodeURIComponent(id)}`;

/** files:operate and files:configure: admins and operators; a viewer only reads. */
export function useCanOperateFiles(): boolean {
  const role = useSession()?.user.role;
  return role === 'admin' || role === 'operator';
}

const FILE_COLORS: Record<FileState, string> = {
  detected: 'default',
  uploading: 'processing',
  uploaded: 'success',
  failed: 'error',
};

const TASK_COLORS: Record<TaskState, string> = {
  pending: 'default',
  processing: 'processing',
  done: 'success',
  failed: 'error',
  retrying: 'warning',
  cancelled: 'default',
};

export function FileStateTag({ state }: { state: FileState }) {
  return (
    <Tag color={FILE_COLORS[state]} data-testid="file-state" data-state={state}>
      {state}
    </Tag>
  );
}

export function TaskStateTag({ state, cancelling }: { state: TaskState; cancelling?: boolean }) {
  return (
    <Tag color={TASK_COLORS[state]} data-testid="task-state" data-state={state}>
      {cancelling && state === 'processing' ? 'cancelling' : state}
    </Tag>
  );
}

const SECTIONS = [
  { value: '/files', label: 'Overview' },
  { value: '/files/list', label: 'Files' },
  { value: '/files/tasks', label: 'Tasks' },
  { value: '/files/actions', label: 'Actions' },
  { value: '/files/routes', label: 'Routing rules' },
];

/** The file pipeline's pages, one menu entry: which one is shown. */
export function FileSections({ current }: { current: string }) {
  return (
    <Segmented
      style={{ marginBottom: 16 }}
      value={current}
      options={SECTIONS.map((s) => ({
        ...s,
        label: <span data-testid={`files-section-${s.value.split('/')[2] ?? 'overview'}`}>{s.label}</span>,
      }))}
      onChange={(v) => navigate(String(v))}
    />
  );
}
