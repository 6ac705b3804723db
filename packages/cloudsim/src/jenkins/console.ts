import { type Build, endOf, isBuilding, resultAt } from './model.ts';

/**
 * A build's console as a freestyle shell step writes it: the header at start, the script's lines
 * spread evenly over its planned duration (a hanging script prints them at once and then
 * nothing), and `Finished: RESULT` at the end.
 */
export function consoleAt(build: Build, t: number): string {
  const name = build.job.split('/').at(-1);
  const lines = [
    build.cause.user ? `Started by user ${build.cause.user}` : 'Started by user anonymous',
    'Running as SYSTEM',
    `Building in workspace /var/jenkins_home/workspace/${build.job}`,
    `[${name}] $ /bin/sh -xe /tmp/jenkins${build.queueId}.sh`,
  ];
  const n = build.lines.length;
  build.lines.forEach((line, i) => {
    const at = Number.isFinite(build.plannedMs)
      ? build.startedAt + (build.plannedMs * (i + 1)) / (n + 1)
      : build.startedAt;
    if (at <= Math.min(t, endOf(build))) lines.push(line);
  });
  if (!isBuilding(build, t)) {
    if (build.aborted) lines.push(`Aborted by ${build.aborted.by ?? 'SYSTEM'}`);
    else if (build.plannedResult !== 'SUCCESS')
      lines.push("Build step 'Execute shell' marked build as failure");
    lines.push(`Finished: ${resultAt(build, t)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ProgressiveText {
  body: Buffer;
  /** `X-Text-Size`: the offset to ask for next. */
  textSize: number;
  /** `X-More-Data: true` while the log is still being written. */
  moreData: boolean;
}

const MAX_LINES = 10_000;

/**
 * Stapler's `LargeText.doProgressText`: from byte offset `start` (past the end restarts at 0);
 * while the log is still written only whole lines, at most 10,000 per call; once complete,
 * everything to the end.
 */
export function progressiveText(log: string, start: number, complete: boolean): ProgressiveText {
  const bytes = Buffer.from(log, 'utf8');
  const from = Number.isFinite(start) && start >= 0 && start <= bytes.length ? start : 0;
  if (complete) return { body: bytes.subarray(from), textSize: bytes.length, moreData: false };
  let end = from;
  let lines = 0;
  for (let i = from; i < bytes.length && lines < MAX_LINES; i++) {
    if (bytes[i] === 0x0a) {
      end = i + 1;
      lines++;
    }
  }
  return { body: bytes.subarray(from, end), textSize: end, moreData: true };
}
