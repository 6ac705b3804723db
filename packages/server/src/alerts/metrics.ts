import { Counter, Gauge, type Registry } from 'prom-client';
import type { InboundAlert } from './ingest.ts';
import type { IngestPlan } from './plan.ts';

// Below this, a time ahead of ours is rounding and network, not a wrong clock.
const SKEW_NOISE_MS = 1000;

/**
 * What ingestion tells an operator about the senders: how many reports arrive, how many
 * episodes were first heard of already resolved (a receiver that was down, a webhook that came
 * late), and whether a sender's clock runs ahead of the server's. A sender's clock running
 * behind cannot be told apart from a slow delivery, so only a clock ahead is measured: a
 * startsAt, or a resolve's endsAt, later than the time the report arrived.
 */
export function alertMetrics(registry: Registry) {
  const reports = new Counter({
    name: 'opsfleet_alert_reports_total',
    help: 'Alert reports received, by source and reported status (firing, resolved).',
    labelNames: ['source', 'status'] as const,
    registers: [registry],
  });
  const resolvedOnArrival = new Counter({
    name: 'opsfleet_alert_episodes_resolved_on_arrival_total',
    help: 'Episodes first heard of already resolved: stored as resolved instances, no firing notification.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const future = new Counter({
    name: 'opsfleet_alert_reports_from_future_total',
    help: 'Reports whose startsAt (or resolve endsAt) was more than 1 s after their arrival: a sender clock ahead.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const ahead = new Gauge({
    name: 'opsfleet_alert_sender_clock_ahead_seconds',
    help: 'How far ahead of the server the last report from the future was, by source (0 until one arrives).',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const repeated = new Counter({
    name: 'opsfleet_alert_reports_repeated_total',
    help: 'Reports in a batch that repeated one received moments before (an HA pair, a retry), answered from the first without being stored again.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  return {
    repeat(batch: InboundAlert[]): void {
      for (const a of batch) {
        reports.inc({ source: a.source, status: a.status });
        repeated.inc({ source: a.source });
      }
    },
    observe(batch: InboundAlert[], plan: IngestPlan, receivedAt: Date): void {
      for (const a of batch) {
        reports.inc({ source: a.source, status: a.status });
        const lead = leadOf(a, receivedAt);
        if (lead > SKEW_NOISE_MS) {
          future.inc({ source: a.source });
          ahead.set({ source: a.source }, lead / 1000);
        }
      }
      const sourceOf = new Map(batch.map((a) => [a.fingerprint, a.source]));
      for (const inst of plan.created)
        if (inst.endedBy === 'source')
          resolvedOnArrival.inc({ source: sourceOf.get(inst.fingerprint) ?? 'generic' });
    },
  };
}

function leadOf(a: InboundAlert, receivedAt: Date): number {
  const starts = a.startsAt ? a.startsAt.getTime() - receivedAt.getTime() : 0;
  // A firing vmalert alert's endsAt is meant to be ahead; a resolve's is when it ended.
  const ends = a.status === 'resolved' && a.endsAt ? a.endsAt.getTime() - receivedAt.getTime() : 0;
  return Math.max(starts, ends);
}
