import { Alert, Card, Col, Row, Space, Statistic, Tooltip } from 'antd';
import { useCallback, useEffect, useRef } from 'react';
import { alertStats } from '../api/alerts.ts';
import { SEVERITIES } from '../api/types.ts';
import { duration } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { SeverityTag } from './Tags.tsx';

/**
 * Open alerts now by state and severity, MTTA and MTTR over the last 24 hours. `changes` counts
 * the live updates seen; the strip reloads (at most once a second) when it moves, and every minute.
 */
export function OverviewStrip({ changes }: { changes: number }) {
  const load = useCallback((signal: AbortSignal) => alertStats(signal), []);
  const { data, error, reload } = useLoad(load);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);

  useEffect(() => {
    if (changes === 0) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, 1000);
  }, [changes, reload]);
  useEffect(() => {
    const every = setInterval(reload, 60_000);
    return () => {
      clearInterval(every);
      clearTimeout(timer.current);
    };
  }, [reload]);

  const byState = data?.now.byState ?? {};
  const bySeverity = data?.now.bySeverity ?? {};
  const open = (byState.firing ?? 0) + (byState.acknowledged ?? 0) + (byState.silenced ?? 0);
  const card = { size: 'small' as const, style: { height: '100%' } };
  if (error && !data)
    return (
      <Alert type="warning" showIcon title={`Overview unavailable: ${error}`} style={{ marginBottom: 16 }} />
    );
  return (
    <Row gutter={[12, 12]} style={{ marginBottom: 16 }} data-testid="alert-overview">
      <Col xs={12} md={4}>
        <Card {...card}>
          <Statistic
            title="Firing"
            value={byState.firing ?? 0}
            loading={!data && !error}
            styles={{ content: { color: byState.firing ? '#cf1322' : undefined } }}
          />
        </Card>
      </Col>
      <Col xs={12} md={4}>
        <Card {...card}>
          <Statistic title="Acknowledged" value={byState.acknowledged ?? 0} loading={!data && !error} />
        </Card>
      </Col>
      <Col xs={12} md={4}>
        <Card {...card}>
          <Statistic title="Silenced" value={byState.silenced ?? 0} loading={!data && !error} />
        </Card>
      </Col>
      <Col xs={12} md={4}>
        <Card {...card}>
          <Statistic
            title="Open by severity"
            value={open}
            loading={!data && !error}
            suffix={
              <Space size={2} wrap style={{ marginInlineStart: 8 }}>
                {SEVERITIES.filter((s) => bySeverity[s]).map((s) => (
                  <Tooltip key={s} title={`${bySeverity[s]} ${s}`}>
                    <span>
                      <SeverityTag severity={s} />
                      <span style={{ fontSize: 12, marginInlineStart: 2 }}>{bySeverity[s]}</span>
                    </span>
                  </Tooltip>
                ))}
              </Space>
            }
          />
        </Card>
      </Col>
      <Col xs={12} md={4}>
        <Card {...card}>
          <Statistic
            title={
              <Tooltip title={`Mean time to acknowledge over ${data?.acknowledgedCount ?? 0} instances`}>
                <span>MTTA (24 h)</span>
              </Tooltip>
            }
            value={duration(data?.mttaSeconds)}
            loading={!data && !error}
          />
        </Card>
      </Col>
      <Col xs={12} md={4}>
        <Card {...card}>
          <Statistic
            title={
              <Tooltip title={`Mean time to resolve over ${data?.resolvedCount ?? 0} instances`}>
                <span>MTTR (24 h)</span>
              </Tooltip>
            }
            value={duration(data?.mttrSeconds)}
            loading={!data && !error}
          />
        </Card>
      </Col>
    </Row>
  );
}
