/** Silences: list by state, create, expire. */
import { api } from './client.ts';
import { linkedPage } from './linked-pages.ts';
import type { Matcher, Silence, SilenceState } from './types.ts';

export const listSilences = (
  filter: { state: SilenceState; limit?: number; cursor?: string },
  signal?: AbortSignal,
) => linkedPage<Silence>('/api/v1/silences', { ...filter }, signal);

export interface NewSilence {
  /** As text: `name="value"`, `name!="v"`, `name=~"re"`, `name!~"re"`. */
  matchers: string[];
  endsAt: string;
  comment: string;
}

export const createSilence = (silence: NewSilence) =>
  api<Silence>('/api/v1/silences', { method: 'POST', body: silence });

export const expireSilence = (id: string) =>
  api<Silence>(`/api/v1/silences/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** `value` quoted the way the server's matcher parser reads it. */
export function quoteValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** One equality matcher per label, sorted by name: the silence form's starting point. */
export function matchersFromLabels(labels: Record<string, string>): string[] {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${quoteValue(labels[name] ?? '')}`);
}

/** A stored matcher as text: `team="db"`. */
export const matcherText = (m: Matcher): string => `${m.name}${m.type}${quoteValue(m.value)}`;
