import { loadConfigOrReport } from './exporter.ts';

/** `opsfleet check-config exporter`: validates the files the exporter would load, exits 2 on problems. */
export async function checkConfig(env: Record<string, string | undefined> = process.env): Promise<number> {
  const config = loadConfigOrReport(env);
  if (!config) return 2;
  for (const w of config.warnings) process.stdout.write(`warning: ${w}\n`);
  const byCloud = new Map<string, number>();
  for (const a of config.accounts) byCloud.set(a.provider, (byCloud.get(a.provider) ?? 0) + 1);
  const summary = [...byCloud].map(([c, n]) => `${c}: ${n}`).join(', ') || 'none';
  process.stdout.write(
    `ok: server ${config.serverPath ?? '(defaults)'}, accounts ${config.accountsPath ?? '(none)'}\n` +
      `    port ${config.port}, interval ${config.intervalMs / 1000}s, accounts ${summary}\n`,
  );
  return 0;
}
