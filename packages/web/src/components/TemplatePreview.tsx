import { Alert, Button, Space, Spin, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, errorText } from '../api/client.ts';
import { previewTemplate } from '../api/notify.ts';
import type { NotifyEvent, Preview } from '../api/notify-types.ts';
import { previewProblemLines } from '../template-form.ts';

const DEBOUNCE_MS = 400;

/**
 * A template rendered by the server with sample alerts, again a moment after each change (and
 * on Preview); a template that does not parse shows which part and why.
 */
export function TemplatePreview({
  event,
  title,
  body,
}: {
  event: NotifyEvent;
  title: string | undefined;
  body: string | undefined;
}) {
  const [result, setResult] = useState<Preview>();
  const [problems, setProblems] = useState<string[]>();
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const again = useCallback(() => setTick((t) => t + 1), []);
  const shownTick = useRef(tick);

  useEffect(() => {
    if (title === undefined || body === undefined) return;
    const abort = new AbortController();
    // Typing waits for a pause; the Preview button asks at once.
    const asked = shownTick.current !== tick;
    shownTick.current = tick;
    const timer = setTimeout(
      () => {
        setBusy(true);
        previewTemplate(event, { title, body }, abort.signal)
          .then((preview) => {
            setResult(preview);
            setProblems(undefined);
          })
          .catch((err: unknown) => {
            if (abort.signal.aborted) return;
            setProblems(
              err instanceof ApiError && err.status === 400
                ? previewProblemLines(err.errors, err.detail)
                : [errorText(err)],
            );
          })
          .finally(() => {
            if (!abort.signal.aborted) setBusy(false);
          });
      },
      asked ? 0 : DEBOUNCE_MS,
    );
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [event, title, body, tick]);

  return (
    <div data-testid="template-preview-panel">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }}>
        <Typography.Text strong>Preview ({event}, sample alerts)</Typography.Text>
        <Space size={8}>
          {busy && <Spin size="small" />}
          <Button size="small" onClick={again} data-testid="template-preview">
            Preview
          </Button>
        </Space>
      </Space>
      {problems && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 8 }}
          data-testid="template-preview-error"
          title="The template does not parse"
          description={
            <div>
              {problems.map((line) => (
                <div key={line}>{line}</div>
              ))}
            </div>
          }
        />
      )}
      {result && (
        <div style={{ opacity: problems ? 0.5 : 1 }}>
          <Typography.Paragraph strong data-testid="template-preview-title" style={{ marginBottom: 8 }}>
            {result.title}
          </Typography.Paragraph>
          <pre
            className="opsfleet-mono"
            data-testid="template-preview-markdown"
            style={{
              background: '#f5f5f5',
              padding: 12,
              borderRadius: 6,
              margin: 0,
              whiteSpace: 'pre-wrap',
              wordBreak: 'break-word',
              maxHeight: 360,
              overflow: 'auto',
            }}
          >
            {result.markdown}
          </pre>
        </div>
      )}
    </div>
  );
}
