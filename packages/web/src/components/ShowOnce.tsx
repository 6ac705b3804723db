import { Alert, Button, Modal, Typography } from 'antd';
import type { ReactNode } from 'react';

/** A secret the server shows once (an API key, a reset token), with a copy button. */
export function ShowOnce({ label, secret, testId }: { label: string; secret: string; testId: string }) {
  return (
    <>
      <Alert
        type="warning"
        showIcon
        title={`Copy the ${label} now: it is not shown again.`}
        style={{ marginBottom: 12 }}
      />
      <div data-testid={testId}>
        <Typography.Paragraph copyable={{ text: secret }} code>
          {secret}
        </Typography.Paragraph>
      </div>
    </>
  );
}

/** A block of configuration with a copy button. */
export function Snippet({ text, testId }: { text: string; testId?: string }) {
  return (
    <div style={{ position: 'relative' }}>
      <pre
        className="opsfleet-mono"
        data-testid={testId}
        style={{ background: '#f5f5f5', padding: 12, borderRadius: 6, margin: 0, overflowX: 'auto' }}
      >
        {text}
      </pre>
      <Typography.Text copyable={{ text }} style={{ position: 'absolute', top: 8, right: 8 }} />
    </div>
  );
}

/** A modal with a secret shown once and what to do with it; closed with Done. */
export function ShowOnceModal({
  title,
  label,
  secret,
  testId,
  width,
  onClose,
  children,
}: {
  title: string;
  label: string;
  /** The modal is open while there is a secret to show. */
  secret: string | undefined;
  testId: string;
  width?: number;
  onClose: () => void;
  children?: ReactNode;
}) {
  return (
    <Modal
      open={secret !== undefined}
      title={title}
      width={width}
      onCancel={onClose}
      footer={<Button onClick={onClose}>Done</Button>}
    >
      {secret !== undefined && (
        <>
          <ShowOnce label={label} secret={secret} testId={testId} />
          {children}
        </>
      )}
    </Modal>
  );
}
