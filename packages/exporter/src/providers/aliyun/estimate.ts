import type { CollectSettings, Sample } from '../provider.ts';
import type { AliyunResource } from './resources.ts';

const UTILISATION: Record<string, string> = {
  InstanceTrafficRX: 'traffic_rx_utilization_pct',
  InstanceTrafficTX: 'traffic_tx_utilization_pct',
};

/**
 * CLB bandwidth utilisation estimate: traffic / cap × 100, the cap being the LB's
 * `BandwidthCapBps` tag, else its per-instance value, else the global one from server.yaml.
 * Nothing is emitted without an `estimation` section or without a cap.
 */
export function utilisationSamples(
  sample: Sample,
  res: AliyunResource,
  estimation: CollectSettings['estimation'],
): Sample[] {
  const suffix = UTILISATION[sample.metric];
  const clb = estimation?.clb;
  if (!suffix || sample.namespace !== 'acs_slb_dashboard' || !clb) return [];
  const cap = res.capBps ?? clb.per_instance_cap_bps?.[res.id] ?? clb.aliyun_bandwidth_cap_bps;
  if (!cap) return [];
  return [{ ...sample, metric: suffix, seriesSuffix: suffix, value: (sample.value / cap) * 100 }];
}
