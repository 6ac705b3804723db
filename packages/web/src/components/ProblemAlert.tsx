import { Alert } from 'antd';
import { ApiError, errorText } from '../api/client.ts';

/** An error answer: the problem's `detail`, and each field problem (`path: message`) under it. */
export function ProblemAlert({ error, testId }: { error: unknown; testId?: string }) {
  const problems = error instanceof ApiError ? error.errors : [];
  return (
    <Alert
      type="error"
      showIcon
      data-testid={testId}
      title={errorText(error)}
      description={
        problems.length > 0 ? (
          <div>
            {problems.map((p) => (
              <div key={`${p.path}:${p.message}`}>{p.path ? `${p.path}: ${p.message}` : p.message}</div>
            ))}
          </div>
        ) : undefined
      }
    />
  );
}
