import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Input,
  Row,
  Select,
  Space,
  Spin,
  Table,
  Tag,
  Typography,
} from 'antd';
import { type HTMLAttributes, useCallback, useMemo, useState } from 'react';
import { errorText } from '../../api/client.ts';
import {
  getDatasource,
  instantQuery,
  labelNames,
  labelValues,
  metricNames,
  type QueryAnswer,
  rangeQuery,
} from '../../api/datasources.ts';
import { EChart } from '../../components/EChart.tsx';
import { LabelTags } from '../../components/Tags.tsx';
import {
  type InstantRow,
  instantRows,
  MAX_SERIES,
  RANGES,
  rangeBody,
  rangeChart,
} from '../../datasource-query.ts';
import { useLoad } from '../../hooks.ts';
import { navigate } from '../../router.ts';
import { TestButton } from './DatasourcesPage.tsx';

/** The most metric names listed at once; the filter narrows a long list. */
const SHOWN_METRICS = 200;

/** One data source: what it is, its connection test, a metric browser and a query preview. */
export function DatasourcePage({ id }: { id: string }) {
  const load = useCallback((signal: AbortSignal) => getDatasource(id, signal), [id]);
  const { data: ds, error } = useLoad(load);
  const [expr, setExpr] = useState('');

  if (error) return <Alert type="error" showIcon title={error} />;
  if (!ds) return <Spin />;
  const queryable = ds.kind !== 'alertmanager';
  return (
    <div data-testid="datasource-page">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 16 }} wrap>
        <Space wrap>
          <Typography.Link onClick={() => navigate('/datasources')}>Data sources</Typography.Link>
          <span>/</span>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {ds.name}
          </Typography.Title>
          <Tag>{ds.kind}</Tag>
        </Space>
        <TestButton id={ds.id} />
      </Space>
      <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 16 }}>
        <Descriptions.Item label="URL">
          <span className="opsfleet-mono">{ds.url}</span>
        </Descriptions.Item>
        <Descriptions.Item label="Auth">
          {ds.authType === 'basic' ? `basic (${ds.username})` : ds.authType}
        </Descriptions.Item>
        <Descriptions.Item label="Labels">
          <LabelTags labels={ds.labels} />
        </Descriptions.Item>
      </Descriptions>
      {queryable ? (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={8}>
            <MetricBrowser id={ds.id} onPick={setExpr} />
          </Col>
          <Col xs={24} lg={16}>
            <QueryPreview id={ds.id} expr={expr} onExpr={setExpr} />
          </Col>
        </Row>
      ) : (
        <Alert
          type="info"
          showIcon
          title="An Alertmanager has no metrics to browse or query; Test reaches it."
        />
      )}
    </div>
  );
}

/** Metric names with a filter; a chosen metric's label names, and a chosen label's values. */
function MetricBrowser({ id, onPick }: { id: string; onPick: (metric: string) => void }) {
  const loadNames = useCallback((signal: AbortSignal) => metricNames(id, signal), [id]);
  const names = useLoad(loadNames);
  const [filter, setFilter] = useState('');
  const [metric, setMetric] = useState<string>();
  const [label, setLabel] = useState<string>();
  const match = metric ? `{__name__=${JSON.stringify(metric)}}` : '';
  const loadLabels = useCallback(
    async (signal: AbortSignal) => (metric ? (await labelNames(id, match, signal)).items : undefined),
    [id, metric, match],
  );
  const labels = useLoad(loadLabels);
  const loadValues = useCallback(
    async (signal: AbortSignal) =>
      metric && label ? (await labelValues(id, label, match, signal)).items : undefined,
    [id, metric, label, match],
  );
  const values = useLoad(loadValues);

  const needle = filter.trim().toLowerCase();
  const matching = (names.data?.items ?? []).filter((n) => n.toLowerCase().includes(needle));
  const pick = (name: string) => {
    setMetric(name);
    setLabel(undefined);
    onPick(name);
  };

  return (
    <Card size="small" title="Metrics" data-testid="metric-browser">
      <Input.Search
        allowClear
        placeholder="filter metric names"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        data-testid="metric-filter"
        style={{ marginBottom: 8 }}
      />
      {names.error && <Alert type="error" showIcon title={names.error} data-testid="metric-error" />}
      {names.loading && !names.data && <Spin />}
      <div style={{ maxHeight: 320, overflow: 'auto' }}>
        {matching.slice(0, SHOWN_METRICS).map((name) => (
          <div key={name}>
            <Typography.Link
              className="opsfleet-mono"
              strong={name === metric}
              onClick={() => pick(name)}
              data-testid="metric-name"
              data-name={name}
            >
              {name}
            </Typography.Link>
          </div>
        ))}
      </div>
      {names.data && (
        <Typography.Text type="secondary">
          {matching.length > SHOWN_METRICS
            ? `${SHOWN_METRICS} of ${matching.length} shown: narrow the filter`
            : `${matching.length} of ${names.data.items.length}`}
        </Typography.Text>
      )}
      {metric && (
        <div style={{ marginTop: 12 }} data-testid="metric-labels">
          <Typography.Text strong className="opsfleet-mono">
            {metric}
          </Typography.Text>
          {labels.error && <Alert type="error" showIcon title={labels.error} />}
          <Select
            style={{ width: '100%', marginTop: 8 }}
            placeholder="a label, for its values"
            value={label}
            onChange={setLabel}
            loading={labels.loading}
            options={(labels.data ?? []).filter((l) => l !== '__name__').map((l) => ({ value: l, label: l }))}
            data-testid="metric-label"
          />
          {values.error && <Alert type="error" showIcon title={values.error} />}
          {label && values.data && (
            <Space size={4} wrap style={{ marginTop: 8 }} data-testid="metric-label-values">
              {values.data.map((v) => (
                <Tag key={v} className="opsfleet-mono" style={{ marginInlineEnd: 0 }}>
                  {v}
                </Tag>
              ))}
            </Space>
          )}
        </div>
      )}
    </Card>
  );
}

interface Preview {
  range: QueryAnswer;
  instant: QueryAnswer;
}

/** An expression over a range: a line per series (at most MAX_SERIES drawn) and the instant result below. */
function QueryPreview({ id, expr, onExpr }: { id: string; expr: string; onExpr: (expr: string) => void }) {
  const [range, setRange] = useState<string>('1h');
  const [result, setResult] = useState<Preview>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const run = async () => {
    const seconds = RANGES.find((r) => r.key === range)?.seconds ?? 3600;
    setBusy(true);
    setError(undefined);
    try {
      const [r, i] = await Promise.all([
        rangeQuery(id, rangeBody(expr, seconds, Date.now())),
        instantQuery(id, expr.trim()),
      ]);
      setResult({ range: r, instant: i });
    } catch (err) {
      setResult(undefined);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const chart = useMemo(() => (result ? rangeChart(result.range) : undefined), [result]);
  const rows = useMemo(() => (result ? instantRows(result.instant) : []), [result]);

  return (
    <Card size="small" title="Query" data-testid="query-preview">
      <Input.TextArea
        className="opsfleet-mono"
        autoSize={{ minRows: 2, maxRows: 8 }}
        placeholder="a PromQL expression, e.g. rate(http_requests_total[5m])"
        value={expr}
        onChange={(e) => onExpr(e.target.value)}
        data-testid="query-expr"
      />
      <Space style={{ marginTop: 8 }} wrap>
        <Select
          value={range}
          onChange={setRange}
          style={{ width: 140 }}
          options={RANGES.map((r) => ({ value: r.key, label: r.label }))}
          data-testid="query-range"
        />
        <Button
          type="primary"
          loading={busy}
          disabled={!expr.trim()}
          onClick={() => void run()}
          data-testid="query-run"
        >
          Run
        </Button>
      </Space>
      {error && (
        <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} data-testid="query-error" />
      )}
      {chart && (
        <div style={{ marginTop: 12 }}>
          {chart.total > chart.drawn && (
            <Alert
              type="warning"
              showIcon
              data-testid="query-capped"
              title={`${chart.total} series: the first ${MAX_SERIES} are drawn; narrow the query for the rest.`}
              style={{ marginBottom: 8 }}
            />
          )}
          {chart.total === 0 ? (
            <Empty description="No series in this range" />
          ) : (
            <EChart
              option={chart.option}
              height={320}
              label={`${expr} over the ${range}`}
              testId="query-chart"
            />
          )}
        </div>
      )}
      {result && (
        <Table<InstantRow>
          style={{ marginTop: 12 }}
          rowKey="key"
          size="small"
          pagination={rows.length > 50 ? { pageSize: 50 } : false}
          scroll={{ x: true }}
          dataSource={rows}
          data-testid="query-table"
          locale={{ emptyText: 'No series now' }}
          onRow={(row) =>
            ({ 'data-testid': 'query-row', 'data-series': row.series }) as HTMLAttributes<HTMLElement>
          }
          columns={[
            {
              title: 'Series',
              dataIndex: 'series',
              render: (s: string) => <span className="opsfleet-mono">{s}</span>,
            },
            {
              title: 'Value',
              dataIndex: 'value',
              align: 'right',
              render: (v: string) => <span data-testid="query-value">{v}</span>,
            },
          ]}
        />
      )}
    </Card>
  );
}
