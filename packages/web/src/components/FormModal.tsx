import { type ButtonProps, Form, type FormInstance, type FormProps, Modal } from 'antd';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { ProblemAlert } from './ProblemAlert.tsx';

/**
 * A create or edit form in a modal: the form starts from `values` each time it opens, the OK
 * button submits it, `onSubmit` saves (the modal closes when it resolves), and a refusal shows
 * the server's problem, field by field, under the form. Pass `form` to watch fields outside.
 */
export function FormModal<Values extends object>({
  open,
  title,
  okText = 'Save',
  width,
  name,
  testId,
  form,
  values,
  onSubmit,
  onInvalid,
  onClose,
  children,
}: {
  open: boolean;
  title: ReactNode;
  okText?: string;
  width?: number;
  /** The form's name (ids of its fields). */
  name: string;
  /** `<testId>-submit` on the OK button, `<testId>-error` on the error. */
  testId?: string;
  form?: FormInstance<Values>;
  /** The starting values, applied when the modal opens. */
  values?: Partial<Values>;
  onSubmit: (values: Values) => Promise<void>;
  /** When a field is refused before anything is sent (e.g. to show the tab it is on). */
  onInvalid?: FormProps<Values>['onFinishFailed'];
  onClose: () => void;
  children: ReactNode;
}) {
  const [own] = Form.useForm<Values>(form);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // The values when it opens: a caller rebuilding them on every render does not reset the form.
  const start = useRef(values);
  start.current = values;

  useEffect(() => {
    if (!open) return;
    own.resetFields();
    // biome-ignore lint/suspicious/noExplicitAny: antd types setFieldsValue's argument as a deep partial
    if (start.current) own.setFieldsValue(start.current as any);
    setError(undefined);
  }, [open, own]);

  const submit = async (submitted: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(submitted);
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={title}
      okText={okText}
      onOk={() => own.submit()}
      okButtonProps={{ loading: busy, 'data-testid': testId && `${testId}-submit` } as ButtonProps}
      onCancel={onClose}
      width={width}
      forceRender
    >
      <Form<Values>
        name={name}
        form={own}
        layout="vertical"
        onFinish={submit}
        onFinishFailed={onInvalid}
        requiredMark={false}
      >
        {children}
      </Form>
      {error !== undefined && <ProblemAlert error={error} testId={testId && `${testId}-error`} />}
    </Modal>
  );
}
