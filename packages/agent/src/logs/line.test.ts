import { describe, expect, it } from 'vitest';
import {
  type DetectedLevel,
  levelRank,
  parseLine,
  parseTimestamp,
  textLevel,
  timeFromValue,
} from './line.ts';

const T = Date.UTC(2026, 10, 25, 10, 0, 0); // 2026-11-25T10:00:00Z
/** A zone-less timestamp is read in local time; computed the same way so the test runs in any TZ. */
const local = (ms = 0) => new Date(2026, 10, 25, 10, 0, 0, ms).getTime();

describe('parseLine', () => {
  it.each<[string, string, DetectedLevel, number | undefined]>([
    // JSON loggers
    ['pino info', `{"level":30,"time":${T},"pid":1,"hostname":"h","msg":"hi"}`, 'info', T],
    ['pino error', `{"level":50,"time":${T},"msg":"boom","err":{"level":"x"}}`, 'error', T],
    ['pino fatal', `{"level":60,"time":${T}}`, 'fatal', T],
    ['pino trace', `{"level":10,"time":${T}}`, 'trace', T],
    ['pino custom level 35 rounds down', `{"level":35,"time":${T}}`, 'info', T],
    ['pino with string labels', `{"level":"warn","time":${T},"msg":"x"}`, 'warn', T],
    [
      'bunyan',
      '{"name":"app","hostname":"h","pid":1,"level":40,"msg":"x","time":"2026-11-25T10:00:00.000Z","v":0}',
      'warn',
      T,
    ],
    [
      'GCP severity',
      '{"severity":"ERROR","message":"x","timestamp":"2026-11-25T10:00:00.123456Z"}',
      'error',
      T + 123,
    ],
    ['OpenTelemetry severity number', '{"severity":17,"timestamp":"2026-11-25T10:00:00Z"}', 'error', T],
    ['zap (ts in seconds)', '{"level":"info","ts":1795600800.25,"msg":"x"}', 'info', 1795600800250],
    ['log15 lvl', '{"lvl":"eror","t":"x","msg":"y"}', 'error', undefined],
    ['winston JSON', '{"level":"info","message":"x","timestamp":"2026-11-25T10:00:00.000Z"}', 'info', T],
    ['GELF syslog level 3', '{"version":"1.1","level":3,"short_message":"x"}', 'error', undefined],
    ['ECS @timestamp', '{"@timestamp":"2026-11-25T10:00:00Z","log.level":"info"}', 'unknown', T],
    ['JSON without level or time', '{"msg":"hello"}', 'unknown', undefined],
    ['JSON cut by the line cap', `{"level":50,"time":${T},"msg":"aaaaaaaaaaaaaaaaaaaa`, 'error', T],
    ['JSON with leading spaces', `  {"level":20,"time":${T}}`, 'debug', T],
    // Text
    ['ISO prefix, Z', '2026-11-25T10:00:00.123Z ERROR something broke', 'error', T + 123],
    ['ISO prefix, offset', '2026-11-25T18:00:00+08:00 WARN high load', 'warn', T],
    ['ISO prefix, compact offset', '2026-11-25T05:00:00-0500 INFO x', 'info', T],
    ['Python logging', '2026-11-25 10:00:00,123 ERROR root: boom', 'error', local(123)],
    ['log4j', '2026-11-25 10:00:00.123 [main] INFO  c.f.Bar - started', 'info', local(123)],
    ['Laravel', '[2026-11-25 10:00:00] local.WARNING: disk almost full', 'warn', local()],
    ['nginx error log', '2026/11/25 10:00:00 [error] 123#0: *1 connect() failed', 'error', local()],
    ['Go log, no level', '2026/11/25 10:00:00 listening on :8080', 'unknown', local()],
    ['logrus text', 'time="2026-11-25T10:00:00Z" level=warning msg="x"', 'warn', T],
    ['go-kit logfmt', 'ts=2026-11-25T10:00:00Z lvl=info msg=hi', 'info', T],
    ['Rails', 'I, [2026-11-25T10:00:00.123456 #1234]  INFO -- : hi', 'info', local(123)],
    ['klog', 'E1125 10:00:00.123456    1 main.go:10] boom', 'error', undefined],
    ['zerolog console', '10:00AM INF started', 'info', undefined],
    ['Node uncaught error', 'Error: connect ECONNREFUSED 127.0.0.1:5432', 'error', undefined],
    ['Node warning', '(node:1234) Warning: something is deprecated', 'warn', undefined],
    ['bracketed word', '[info] ready', 'info', undefined],
    ['angle brackets', '<warn> low memory', 'warn', undefined],
    ['upper case word first', 'DEBUG: starting', 'debug', undefined],
    ['FATAL', 'FATAL cannot bind', 'fatal', undefined],
    ['CRITICAL', '2026-11-25 10:00:00 CRITICAL db down', 'fatal', local()],
    ['stack frame', '    at Object.<anonymous> (/app/index.js:1:1)', 'unknown', undefined],
    ['plain print', 'listening on port 3000', 'unknown', undefined],
    ['lower-case level word in prose', 'failed to load info about user', 'unknown', undefined],
    ['HTTP access line', 'GET /health 200 3ms', 'unknown', undefined],
    ['URL is not a level', 'INFOS http://example.com/x', 'unknown', undefined],
    ['not a date', '2026-13-45 10:00:00 x', 'unknown', undefined],
    ['empty', '', 'unknown', undefined],
  ])('%s', (_, line, level, time) => {
    const info = parseLine(line);
    expect(info.level).toBe(level);
    expect(info.time).toBe(time);
  });

  it('reads zone-less timestamps as UTC when asked', () => {
    expect(parseLine('2026-11-25 10:00:00,123 ERROR x', { naiveZone: 'utc' }).time).toBe(T + 123);
  });

  it('looks for a level word only near the start', () => {
    expect(parseLine(`${'x '.repeat(100)}ERROR`).level).toBe('unknown');
    expect(textLevel('x ERROR')).toBe('error');
  });
});

describe('timeFromValue', () => {
  it.each<[unknown, number | undefined]>([
    [1795600800, 1795600800000],
    [1795600800.5, 1795600800500],
    [1795600800123, 1795600800123],
    [1795600800123456, 1795600800123],
    [1.7956008001234568e18, 1795600800123],
    ['1795600800123', 1795600800123],
    ['2026-11-25T10:00:00Z', T],
    ['yesterday', undefined],
    [0, undefined],
    [null, undefined],
  ])('%s', (v, want) => {
    expect(timeFromValue(v)).toBe(want);
  });

  it('parseTimestamp wants the timestamp at the start', () => {
    expect(parseTimestamp('x 2026-11-25T10:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2026-11-25T10:00:00Z')).toBe(T);
  });
});

describe('levelRank', () => {
  it('orders levels like pino, unknown below all', () => {
    expect(levelRank('unknown')).toBeLessThan(levelRank('trace'));
    expect(levelRank('warn')).toBe(40);
    expect(levelRank('fatal')).toBeGreaterThan(levelRank('error'));
  });
});
