import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExporterOnCloudsim, startExporterOnCloudsim } from './exporter-process.ts';
import { type Prometheus, peerAvailable, startPrometheus, waitFor } from './peers.ts';

describe.runIf(peerAvailable('prometheus', 'prometheus'))(
  'a real Prometheus 2.42 scraping the exporter on cloudsim',
  () => {
    let exporter: ExporterOnCloudsim;
    let prom: Prometheus;

    beforeAll(async () => {
      exporter = await startExporterOnCloudsim(mkdtempSync(join(tmpdir(), 'e2e-exporter-')), [
        'aliyun',
        'tencent',
      ]);
      await exporter.ready();
      prom = await startPrometheus([exporter.target]);
    });

    afterAll(async () => {
      await prom?.stop();
      await exporter?.stop();
    });

    it('scrapes /metrics without errors: the target is up', async () => {
      const target = await waitFor('target scraped', async () => {
        const r = (await (await fetch(`${prom.url}/api/v1/targets`)).json()) as {
          data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
        };
        const t = r.data.activeTargets[0];
        return t && t.health !== 'unknown' ? t : undefined;
      });
      expect(target).toMatchObject({ health: 'up', lastError: '' });
    });

    it('stores unified series from both clouds with the public label set', async () => {
      const rows = await waitFor('clb_traffic_rx_bps stored', async () => {
        const r = await prom.query('clb_traffic_rx_bps');
        return new Set(r.map((x) => x.metric.cloud_provider)).size === 2 ? r : undefined;
      });
      const tencent = rows.find((r) => r.metric.cloud_provider === 'tencent')!;
      // Prometheus drops empty labels, so the empty code_name of Tencent CLB is absent here.
      expect(Object.keys(tencent.metric).sort()).toEqual(
        expect.arrayContaining([
          'account_id',
          'cloud_provider',
          'metric_name',
          'namespace',
          'region',
          'resource_id',
          'resource_type',
        ]),
      );
      expect(tencent.metric).toMatchObject({
        metric_name: 'VIntraffic',
        namespace: 'QCE/LB',
        resource_type: 'clb',
      });
      const aliyun = rows.find((r) => r.metric.cloud_provider === 'aliyun')!;
      expect(aliyun.metric).toMatchObject({
        metric_name: 'InstanceTrafficRX',
        namespace: 'acs_slb_dashboard',
        resource_type: 'clb',
      });
    });

    it('follows a value cloudsim changes at the next collection', async () => {
      exporter.sim.state.values.set(
        { cloud: 'tencent', namespace: 'QCE/LB', metric: 'VIntraffic', resourceId: '10.1.1.10' },
        42,
      );
      const rows = await waitFor('new value visible', async () => {
        const r = await prom.query('clb_traffic_rx_bps{resource_id="10.1.1.10"}');
        return r.length && Number(r[0]!.value[1]) === 42_000_000 ? r : undefined;
      });
      expect(rows[0]!.metric).toMatchObject({ account_id: 'tencent-prod', region: 'ap-guangzhou' });
    });

    it('exposes the self-metrics Prometheus can alert on', async () => {
      const total = await prom.query('sum(multicloud_request_total{status="success"})');
      expect(Number(total[0]?.value[1])).toBeGreaterThan(0);
      const duration = await prom.query('multicloud_collection_duration_seconds_count');
      expect(Number(duration[0]?.value[1])).toBeGreaterThan(0);
    });
  },
);
