import { Alert, Card, Col, Empty, Row, Segmented, Space, Statistic, Table, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { type FileSource, fileStats, listFileSources } from '../../api/files.ts';
import { EChart } from '../../components/EChart.tsx';
import { RefreshControls } from '../../components/RefreshControls.tsx';
import { RelativeTime } from '../../components/RelativeTime.tsx';
import {
  durationChart,
  failureChart,
  failureRows,
  queueChart,
  rateChart,
  STATS_WINDOWS,
  type StatsWindow,
  seconds,
} from '../../files-charts.ts';
import { fileFilterSearch } from '../../files-filter.ts';
import { dateTime } from '../../format.ts';
import { useAutoRefresh, useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { FileSections } from './common.tsx';

const REFRESH_MS = 15_000;

/** The file pipeline at a glance: rates, queue, durations and failures, and the watched folders. */
export function FilesOverviewPage() {
  const [span, setSpan] = useState<StatsWindow>('1h');
  const load = useCallback(
    async (signal: AbortSignal) => {
      const [stats, sources] = await Promise.all([fileStats(span, signal), listFileSources(span, signal)]);
      return { stats, sources };
    },
    [span],
  );
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  const g = data?.stats.global;
  // A new answer redraws the charts; a re-render for anything else keeps them as they are.
  const charts = useMemo(() => {
    if (!data) return undefined;
    const { global, from, to } = data.stats;
    return {
      rate: rateChart(global, from, to),
      queue: queueChart(global),
      duration: durationChart(global),
      failures: failureRows(global).length ? failureChart(global) : undefined,
    };
  }, [data]);
  const card = { size: 'small' as const, loading: !data && loading, style: { height: '100%' } };
  const failed = (s: FileSource) =>
    navigate(`/files/list${fileFilterSearch({ states: ['failed'], agent: s.agentId, source: s.source })}`);

  return (
    <div data-testid="files-overview" data-loaded={data ? span : undefined}>
      <FileSections current="/files" />
      <Space wrap style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }}>
        <Space wrap>
          <Segmented<StatsWindow>
            options={[...STATS_WINDOWS]}
            value={span}
            onChange={setSpan}
            data-testid="files-window"
          />
          {data && <Typography.Text type="secondary">as of {dateTime(data.stats.to)}</Typography.Text>}
        </Space>
        <RefreshControls
          auto={auto}
          onAuto={setAuto}
          everyMs={REFRESH_MS}
          reload={reload}
          testId="files-overview"
        />
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        {(
          [
            ['Detected', g?.files.detected, 'files-detected'],
            ['Uploaded', g?.files.uploaded, 'files-uploaded'],
            ['Failed', g?.files.failed, 'files-failed'],
            ['Tasks finished', g?.tasksFinished, 'files-tasks-finished'],
          ] as const
        ).map(([title, value, testId]) => (
          <Col xs={12} md={6} key={testId}>
            <Card {...card}>
              <Statistic title={`${title} in ${span}`} value={value ?? 0} data-testid={testId} />
            </Card>
          </Col>
        ))}
        <Col xs={12} md={6}>
          <Card {...card}>
            <Statistic
              title="Upload p50 / p95"
              value={g ? `${seconds(g.uploadSeconds.p50)} / ${seconds(g.uploadSeconds.p95)}` : '—'}
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card {...card}>
            <Statistic
              title="Task p50 / p95"
              value={g ? `${seconds(g.taskSeconds.p50)} / ${seconds(g.taskSeconds.p95)}` : '—'}
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card {...card}>
            <Statistic
              title="Waiting to upload now"
              value={g ? g.queue.files.detected + g.queue.files.uploading : 0}
              data-testid="files-queue-files"
            />
          </Card>
        </Col>
        <Col xs={12} md={6}>
          <Card {...card}>
            <Statistic
              title="Tasks not finished now"
              value={g ? g.queue.tasks.pending + g.queue.tasks.retrying + g.queue.tasks.processing : 0}
              data-testid="files-queue-tasks"
            />
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        <Col xs={24} xl={12}>
          <Card
            {...card}
            title="Files per minute"
            extra={<Typography.Text type="secondary">average</Typography.Text>}
          >
            {charts && <EChart option={charts.rate} label="Files detected, uploaded and failed per minute" />}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card {...card} title="Queue now">
            {charts && <EChart option={charts.queue} label="Files and tasks waiting now" />}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card {...card} title="Durations (seconds)">
            {charts && <EChart option={charts.duration} label="Upload and task durations, p50 and p95" />}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card {...card} title="Failures by cause">
            {charts?.failures ? (
              <EChart
                option={charts.failures}
                label="Failed files and tasks by cause"
                testId="files-failures"
              />
            ) : (
              <Empty description={`Nothing failed in ${span}`} />
            )}
          </Card>
        </Col>
      </Row>
      <Card size="small" title="Watched folders" loading={!data && loading}>
        {data?.sources.truncated && (
          <Alert
            type="info"
            showIcon
            title="Only the most active folders are shown."
            style={{ marginBottom: 8 }}
          />
        )}
        <Table<FileSource>
          size="small"
          pagination={false}
          scroll={{ x: true }}
          rowKey={(s) => `${s.agentId}/${s.source}`}
          dataSource={data?.sources.items ?? []}
          locale={{ emptyText: `No agent reported files in ${span}` }}
          onRow={(s) => ({ 'data-testid': `files-source-${s.agentName ?? s.agentId}-${s.source}` }) as never}
          columns={[
            { title: 'Agent', key: 'agent', render: (_: unknown, s) => s.agentName ?? s.agentId },
            { title: 'Source', dataIndex: 'source' },
            { title: 'Detected', key: 'detected', render: (_: unknown, s) => s.files.detected },
            { title: 'Uploading', key: 'uploading', render: (_: unknown, s) => s.files.uploading },
            { title: 'Uploaded', key: 'uploaded', render: (_: unknown, s) => s.files.uploaded },
            {
              title: 'Failed',
              key: 'failed',
              render: (_: unknown, s) =>
                s.files.failed ? (
                  <Typography.Link onClick={() => failed(s)}>{s.files.failed}</Typography.Link>
                ) : (
                  0
                ),
            },
            {
              title: 'Last report',
              dataIndex: 'lastSeen',
              render: (iso: string) => <RelativeTime iso={iso} />,
            },
          ]}
        />
      </Card>
    </div>
  );
}
