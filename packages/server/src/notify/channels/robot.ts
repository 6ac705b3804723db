import type { Outbound } from '../../http/outbound.ts';
import type { Delivery } from './channel.ts';
import { postJson, retryableStatus } from './channel.ts';

/**
 * Chat robots (DingTalk, WeCom) answer HTTP 200 with `{errcode, errmsg}`: the code decides.
 * `retryableCodes` are the robot's throttling and transient codes.
 */
export async function sendToRobot(
  net: Outbound,
  url: string,
  body: unknown,
  retryableCodes: number[],
): Promise<Delivery> {
  const r = await postJson(net, url, JSON.stringify(body), {});
  if ('error' in r) return { ok: false, retryable: !r.refused, error: r.error, ms: r.ms };
  if (r.status !== 200)
    return {
      ok: false,
      retryable: retryableStatus(r.status),
      status: r.status,
      error: `HTTP ${r.status}`,
      ms: r.ms,
    };
  let answer: { errcode?: number };
  try {
    answer = JSON.parse(r.text);
  } catch {
    return {
      ok: false,
      retryable: true,
      status: 200,
      error: 'the robot answered something other than JSON',
      ms: r.ms,
    };
  }
  if (answer.errcode === 0) return { ok: true, status: 200, ms: r.ms };
  return {
    ok: false,
    retryable: retryableCodes.includes(answer.errcode ?? -1),
    status: 200,
    error: `errcode ${Number(answer.errcode)} (see the robot's error code table)`,
    ms: r.ms,
  };
}
