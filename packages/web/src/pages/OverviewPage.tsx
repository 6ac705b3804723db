import { Alert, Card, Col, Empty, Row, Segmented, Space, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { alertOverview } from '../api/alerts.ts';
import type { AlertOverview, OverviewRange } from '../api/types.ts';
import { type ChartOption, EChart } from '../components/EChart.tsx';
import { RefreshControls } from '../components/RefreshControls.tsx';
import { dateTime, duration } from '../format.ts';
import { useAutoRefresh, useLoad } from '../hooks.ts';
import {
  bucketStarts,
  failedDeliveries,
  rangeMean,
  responseTrend,
  startedBySeverity,
} from '../overview-charts.ts';
import { navigate } from '../router.ts';

const REFRESH_MS = 60_000;
const RANGES: { value: OverviewRange; label: string }[] = [
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
];
const RANGE_TEXT: Record<OverviewRange, string> = { '24h': 'the last 24 hours', '7d': 'the last 7 days' };

/** The severity tags' colours (antd's magenta, volcano, orange, blue, grey), for the charts. */
const SEVERITY_HEX: Record<string, string> = {
  critical: '#c41d7f',
  high: '#d4380d',
  warning: '#fa8c16',
  info: '#1677ff',
  low: '#8c8c8c',
};
const GRID = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };

function trendOption(o: AlertOverview): ChartOption {
  const started = startedBySeverity(o);
  return {
    grid: GRID,
    legend: { top: 0, type: 'scroll' },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', minInterval: 1 },
    // A quiet range still draws its time axis: one empty series stands in for the severities.
    series: (started.length
      ? started
      : [{ severity: 'none', points: bucketStarts(o).map((t) => [t, 0]) }]
    ).map(({ severity, points }) => ({
      name: severity,
      type: 'bar',
      stack: 'started',
      data: points,
      itemStyle: { color: SEVERITY_HEX[severity] ?? '#595959' },
    })),
  };
}

function responseOption(o: AlertOverview): ChartOption {
  const { mtta, mttr } = responseTrend(o);
  const line = (name: string, data: typeof mtta, color: string) => ({
    name,
    type: 'line' as const,
    data,
    connectNulls: true,
    symbolSize: 6,
    itemStyle: { color },
  });
  return {
    grid: GRID,
    legend: { top: 0 },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v) => (typeof v === 'number' ? duration(v * 60) : '—'),
    },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', axisLabel: { formatter: '{value} min' } },
    series: [line('MTTA', mtta, '#faad14'), line('MTTR', mttr, '#52c41a')],
  };
}

function noisiestOption(o: AlertOverview): ChartOption {
  return {
    grid: { ...GRID, top: 8 },
    tooltip: { trigger: 'item', formatter: '{b}: {c} episodes' },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: {
      type: 'category',
      inverse: true,
      data: o.noisiest.map((a) => a.name),
      axisLabel: { width: 140, overflow: 'truncate' },
    },
    series: [
      {
        type: 'bar',
        data: o.noisiest.map((a) => ({
          value: a.episodes,
          itemStyle: { color: SEVERITY_HEX[a.severity] ?? '#595959' },
        })),
        cursor: 'pointer',
      },
    ],
  };
}

function agentsOption(o: AlertOverview): ChartOption {
  const total = o.agents.online + o.agents.offline;
  return {
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['50%', '72%'],
        center: ['50%', '45%'],
        label: {
          show: true,
          position: 'center',
          formatter: () => `${o.agents.online}/${total}\nonline`,
          fontSize: 18,
          fontWeight: 600,
          lineHeight: 24,
        },
        data: [
          { name: 'online', value: o.agents.online, itemStyle: { color: '#52c41a' } },
          { name: 'offline', value: o.agents.offline, itemStyle: { color: '#ff4d4f' } },
        ],
        cursor: 'pointer',
      },
    ],
  };
}

function deliveriesOption(o: AlertOverview): ChartOption {
  return {
    grid: { ...GRID, top: 16 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: 'failed attempts', type: 'bar', data: failedDeliveries(o), itemStyle: { color: '#ff4d4f' } },
    ],
  };
}

/**
 * The landing page: how many alerts started, how fast people answer them, which alerts fire
 * most, whether the agents are there and whether notifications get out — over a day or a week.
 */
export function OverviewPage() {
  const [range, setRange] = useState<OverviewRange>('24h');
  const load = useCallback((signal: AbortSignal) => alertOverview(range, signal), [range]);
  const { data, error, loading, reload } = useLoad(load);
  const [auto, setAuto] = useAutoRefresh(reload, REFRESH_MS, true);
  // A new answer redraws the charts; a re-render for anything else keeps them as they are.
  const charts = useMemo(
    () =>
      data && {
        trend: trendOption(data),
        response: responseOption(data),
        noisiest: noisiestOption(data),
        agents: agentsOption(data),
        deliveries: deliveriesOption(data),
      },
    [data],
  );

  const card = { size: 'small' as const, loading: !data && loading, style: { height: '100%' } };
  const mtta = data && rangeMean(data, 'mtta');
  const mttr = data && rangeMean(data, 'mttr');
  const started = data?.started.reduce((n, b) => n + b.count, 0) ?? 0;
  const agentsTotal = data ? data.agents.online + data.agents.offline : 0;
  const deadLetters = data?.deliveries.deadLetters ?? 0;
  return (
    <div data-testid="overview" data-loaded={data ? data.range : undefined}>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }}>
        <Space wrap>
          <Segmented<OverviewRange>
            options={RANGES}
            value={range}
            onChange={setRange}
            data-testid="overview-range"
          />
          {data && <Typography.Text type="secondary">as of {dateTime(data.to)}</Typography.Text>}
        </Space>
        <RefreshControls
          auto={auto}
          onAuto={setAuto}
          everyMs={REFRESH_MS}
          reload={reload}
          testId="overview"
        />
      </Space>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <Card
            {...card}
            title="Alerts started"
            extra={
              <Typography.Text type="secondary">
                {started} in {RANGE_TEXT[range]}
              </Typography.Text>
            }
            data-testid="overview-trend"
          >
            {charts && <EChart option={charts.trend} label={`Alerts started per bucket by severity`} />}
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card {...card} title="Noisiest alerts" data-testid="overview-noisiest">
            {charts &&
              (data?.noisiest.length ? (
                <EChart
                  option={charts.noisiest}
                  label="The alerts with the most episodes"
                  onItemClick={(i) => {
                    const alert = data.noisiest[i];
                    if (alert) navigate(`/alerts/${encodeURIComponent(alert.fingerprint)}`);
                  }}
                />
              ) : (
                <Empty description={`No alert fired in ${RANGE_TEXT[range]}`} />
              ))}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card
            {...card}
            title="MTTA and MTTR"
            extra={
              <Typography.Text type="secondary" data-testid="overview-means">
                MTTA {duration(mtta)} · MTTR {duration(mttr)}
              </Typography.Text>
            }
            data-testid="overview-response"
          >
            {charts && <EChart option={charts.response} label="Mean time to acknowledge and to resolve" />}
          </Card>
        </Col>
        <Col xs={24} md={12} xl={6}>
          <Card {...card} title="Agents" data-testid="overview-agents">
            {charts &&
              (agentsTotal ? (
                <EChart
                  option={charts.agents}
                  label={`${data?.agents.online} of ${agentsTotal} agents online`}
                  onItemClick={() => navigate('/agents')}
                />
              ) : (
                <Empty description="No agent has registered yet" />
              ))}
          </Card>
        </Col>
        <Col xs={24} md={12} xl={6}>
          <Card
            {...card}
            title="Deliveries failing"
            extra={
              <Typography.Link
                onClick={() => navigate('/notify/dead-letters')}
                data-testid="overview-dead-letters"
                type={deadLetters ? 'danger' : undefined}
              >
                {deadLetters} dead letter{deadLetters === 1 ? '' : 's'}
              </Typography.Link>
            }
            data-testid="overview-deliveries"
          >
            {charts && <EChart option={charts.deliveries} label="Failed delivery attempts per bucket" />}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
