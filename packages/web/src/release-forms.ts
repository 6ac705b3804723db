/** The release pages' create and edit forms: their fields and the request bodies they become. */
import type {
  Environment,
  EnvironmentBody,
  Version,
  VersionBody,
  VersionStatus,
  Weekday,
} from './api/release.ts';

/** `name=value` pairs separated by commas or new lines; an empty text is no labels. */
export function parseLabels(text: string): { labels: Record<string, string> } | { error: string } {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const pair = part.trim();
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return { error: `"${pair}" is not name=value` };
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return { labels };
}

export const labelsText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export interface EnvironmentValues {
  name: string;
  approvalRequired: boolean;
  approvers: string[];
  windowOn: boolean;
  timezone: string;
  days: Weekday[];
  start: string;
  end: string;
}

export function environmentValues(env: Environment | undefined): EnvironmentValues {
  const w = env?.releaseWindow;
  return {
    name: env?.name ?? '',
    approvalRequired: env?.approvalRequired ?? false,
    approvers: env?.approvers ?? [],
    windowOn: Boolean(w),
    timezone: w?.timezone ?? 'UTC',
    days: w?.days ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
    start: w?.start ?? '09:00',
    end: w?.end ?? '17:00',
  };
}

export const environmentBody = (v: EnvironmentValues): EnvironmentBody => ({
  name: v.name.trim(),
  approval_required: v.approvalRequired,
  approvers: v.approvers,
  release_window: v.windowOn
    ? { timezone: v.timezone.trim(), days: v.days, start: v.start, end: v.end }
    : null,
});

/** A release window in a few words: `mon–fri 09:00–17:00 Europe/Berlin`, or `any time`. */
export function windowText(env: Pick<Environment, 'releaseWindow'>): string {
  const w = env.releaseWindow;
  if (!w) return 'any time';
  return `${w.days.join(', ')} ${w.start}–${w.end} ${w.timezone}`;
}

export interface VersionValues {
  version: string;
  status: VersionStatus;
  artifactUrl: string;
  artifactSha256: string;
  installScript: string;
  updateScript: string;
  rollbackScript: string;
  uninstallScript: string;
}

export const versionValues = (v: Version | undefined): VersionValues => ({
  version: v?.version ?? '',
  status: v?.status ?? 'active',
  artifactUrl: v?.artifactUrl ?? '',
  artifactSha256: v?.artifactSha256 ?? '',
  installScript: v?.installScript ?? '',
  updateScript: v?.updateScript ?? '',
  rollbackScript: v?.rollbackScript ?? '',
  uninstallScript: v?.uninstallScript ?? '',
});

/** An empty artifact field is no artifact (null), so an edit can remove one. */
export const versionBody = (v: VersionValues): VersionBody => ({
  version: v.version.trim(),
  status: v.status,
  artifact_url: v.artifactUrl.trim() || null,
  artifact_sha256: v.artifactSha256.trim() || null,
  install_script: v.installScript,
  update_script: v.updateScript,
  rollback_script: v.rollbackScript,
  uninstall_script: v.uninstallScript,
});
