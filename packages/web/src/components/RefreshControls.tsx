import { Button, Space, Switch } from 'antd';

/** The switch that keeps a list fresh (see `useAutoRefresh`) and a button to refresh it now. */
export function RefreshControls({
  auto,
  onAuto,
  everyMs,
  reload,
  testId,
}: {
  auto: boolean;
  onAuto: (on: boolean) => void;
  everyMs: number;
  reload: () => void;
  /** `<testId>-auto` and `<testId>-refresh`. */
  testId: string;
}) {
  return (
    <Space>
      <Space size={6}>
        <Switch checked={auto} onChange={onAuto} data-testid={`${testId}-auto`} />
        <span>Refresh every {everyMs / 1000} s</span>
      </Space>
      <Button onClick={reload} data-testid={`${testId}-refresh`}>
        Refresh
      </Button>
    </Space>
  );
}
