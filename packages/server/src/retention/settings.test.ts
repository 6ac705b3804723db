import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION, retentionSettings } from './settings.ts';

const DAY = 86_400_000;

describe('retention settings', () => {
  it('keeps closed alerts 90 days, sent notifications 30, the audit log a year and finished commands 30 days unless told', () => {
    expect(retentionSettings({})).toEqual({
      alertsMs: 90 * DAY,
      notifyMs: 30 * DAY,
      auditMs: 365 * DAY,
      commandsMs: 30 * DAY,
    });
    expect(retentionSettings({ RETENTION_ALERTS: '' })).toEqual(DEFAULT_RETENTION);
  });

  it('reads durations, and 0 as keep forever', () => {
    expect(
      retentionSettings({
        RETENTION_ALERTS: '180d',
        RETENTION_NOTIFY: '0',
        RETENTION_AUDIT: '36h',
        RETENTION_COMMANDS: '7d',
      }),
    ).toEqual({
      alertsMs: 180 * DAY,
      notifyMs: 0,
      auditMs: 36 * 3_600_000,
      commandsMs: 7 * DAY,
    });
  });

  it.each([
    ['RETENTION_AUDIT', '365', /RETENTION_AUDIT needs a unit: write 365d for days, or 0 to keep forever/],
    [
      'RETENTION_NOTIFY',
      'a month',
      /RETENTION_NOTIFY must be a duration such as 90d or 12h, or 0 to keep forever \(got "a month"\)/,
    ],
    ['RETENTION_COMMANDS', '30', /RETENTION_COMMANDS needs a unit: write 30d for days/],
    ['RETENTION_ALERTS', '10m', /RETENTION_ALERTS must be at least 1h, or 0 to keep forever \(got "10m"\)/],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => retentionSettings({ [name]: value })).toThrow(message);
  });
});
