import { describe, expect, it } from 'vitest';
import { isBuilding, JenkinsModel, type JobSpec, resultAt } from './model.ts';

function model(jobs: JobSpec[], executors = 2) {
  const clock = { t: 0 };
  const m = new JenkinsModel({
    jobs,
    quietPeriodMs: 100,
    executors,
    leftItemTtlMs: 300_000,
    now: () => clock.t,
  });
  return { m, clock };
}

const plain: JobSpec = { name: 'plain', durationMs: 200 };
const withParams: JobSpec = {
  name: 'folder/analyse',
  durationMs: 200,
  parameters: [
    { name: 'URL' },
    { name: 'APP', default: 'java' },
    { name: 'MODE', type: 'choice', choices: ['fast', 'full'] },
  ],
  resultParam: 'RESULT',
};

describe('JenkinsModel: scheduling', () => {
  it.each([
    ['a missing job', 'nope', 'build', 404, 'No item named nope'],
    ['a disabled job', 'off', 'build', 409, 'off is not buildable'],
    ['a disabled job with parameters', 'off', 'buildWithParameters', 409, 'off is not buildable'],
    [
      'an unparameterised job with parameters',
      'plain',
      'buildWithParameters',
      400,
      'plain is not parameterized',
    ],
  ] as const)('refuses %s', (_, job, via, status, message) => {
    const { m } = model([plain, { name: 'off', disabled: true }]);
    expect(m.schedule(job, { via, cause: {} })).toEqual({ kind: 'error', status, message });
    expect(m.queue).toHaveLength(0);
  });

  it('takes declared parameters, defaults the missing ones and ignores the undeclared', () => {
    const { m } = model([withParams]);
    const out = m.schedule('folder/analyse', {
      via: 'buildWithParameters',
      params: { URL: 'u', EXTRA: 'x' },
      cause: {},
    });
    expect(out.kind === 'created' && out.item.params).toEqual({ URL: 'u', APP: 'java', MODE: 'fast' });
  });

  it.each([
    // first request, second request → the second is folded into the first?
    ['the same parameters', { URL: 'a' }, { URL: 'a' }, 'existing'],
    ['the same values once defaults apply', { URL: 'a' }, { URL: 'a', APP: 'java', X: '1' }, 'existing'],
    ['different parameters', { URL: 'a' }, { URL: 'b' }, 'created'],
  ])('folds a request with %s into the queued item', (_, first, second, kind) => {
    const { m } = model([withParams]);
    const a = m.schedule('folder/analyse', { via: 'buildWithParameters', params: first, cause: {} });
    const b = m.schedule('folder/analyse', { via: 'buildWithParameters', params: second, cause: {} });
    expect(b.kind).toBe(kind);
    if (a.kind !== 'error' && b.kind !== 'error') expect(a.item.id === b.item.id).toBe(kind === 'existing');
  });

  it('folds unparameterised requests and keeps the earlier due time', () => {
    const { m, clock } = model([plain]);
    const a = m.schedule('plain', { via: 'build', cause: {}, delayMs: 10_000 });
    clock.t = 50;
    const b = m.schedule('plain', { via: 'build', cause: {}, delayMs: 0 });
    expect(b.kind === 'existing' && b.item.id).toBe(a.kind === 'created' && a.item.id);
    expect(m.item(1)?.executable).toEqual({ job: 'plain', number: 1 });
  });

  it('does not fold into an item that already left the queue', () => {
    const { m, clock } = model([plain]);
    m.schedule('plain', { via: 'build', cause: {} });
    clock.t = 150;
    expect(m.schedule('plain', { via: 'build', cause: {} }).kind).toBe('created');
  });
});

describe('JenkinsModel: queue and builds over time', () => {
  it.each([
    // time → item state, build state
    [0, 'waiting', undefined],
    [99, 'waiting', undefined],
    [100, 'left', 'building'],
    [299, 'left', 'building'],
    [300, 'left', 'SUCCESS'],
    // left items expire 5 minutes after leaving the queue (when the build started)
    [100 + 299_999, 'left', 'SUCCESS'],
    [100 + 300_000, 'expired', 'SUCCESS'],
  ])('at %i ms the item is %s and the build %s', (t, itemState, buildState) => {
    const { m, clock } = model([plain]);
    m.schedule('plain', { via: 'build', cause: { user: 'alice' } });
    clock.t = t;
    const item = m.item(1);
    expect(item ? m.itemState(item) : 'expired').toBe(itemState);
    const build = m.build('plain', 1);
    expect(build && (isBuilding(build, t) ? 'building' : resultAt(build, t))).toBe(buildState);
    if (build) expect(build.startedAt).toBe(100);
  });

  it('blocks a second build of a job until the first ends, and starts it at that instant', () => {
    const { m, clock } = model([plain]);
    m.schedule('plain', { via: 'build', cause: {} });
    clock.t = 150;
    m.schedule('plain', { via: 'build', cause: {}, delayMs: 0 });
    expect(m.itemState(m.item(2)!)).toBe('blocked');
    clock.t = 10_000;
    expect(m.build('plain', 2)?.startedAt).toBe(300);
    expect(m.item(2)?.executable?.number).toBe(2);
  });

  it('waits for a free executor', () => {
    const { m, clock } = model([plain, { name: 'other', durationMs: 500 }], 1);
    m.schedule('other', { via: 'build', cause: {}, delayMs: 0 });
    m.schedule('plain', { via: 'build', cause: {}, delayMs: 0 });
    expect(m.itemState(m.item(2)!)).toBe('buildable');
    clock.t = 1000;
    expect(m.build('plain', 1)?.startedAt).toBe(500);
  });

  it.each([
    [{ RESULT: 'FAILURE' }, 'FAILURE'],
    [{ RESULT: 'ABORTED' }, 'ABORTED'],
    [{ RESULT: 'nonsense' }, 'SUCCESS'],
    [{}, 'SUCCESS'],
  ])('takes the result from the parameter the job names: %j → %s', (params, result) => {
    const { m, clock } = model([
      { ...withParams, parameters: [...withParams.parameters!, { name: 'RESULT' }] },
    ]);
    m.schedule('folder/analyse', { via: 'buildWithParameters', params, cause: {}, delayMs: 0 });
    clock.t = 1000;
    expect(resultAt(m.build('folder/analyse', 1)!, 1000)).toBe(result);
  });

  it('takes the duration from a parameter', () => {
    const { m, clock } = model([{ name: 'd', parameters: [{ name: 'MS' }], durationParam: 'MS' }]);
    m.schedule('d', { via: 'buildWithParameters', params: { MS: '5000' }, cause: {}, delayMs: 0 });
    clock.t = 4999;
    expect(isBuilding(m.build('d', 1)!, clock.t)).toBe(true);
    clock.t = 5000;
    expect(isBuilding(m.build('d', 1)!, clock.t)).toBe(false);
  });

  it('a hanging job builds until stopped, then is ABORTED', () => {
    const { m, clock } = model([{ name: 'hang', hang: true }]);
    m.schedule('hang', { via: 'build', cause: {}, delayMs: 0 });
    clock.t = 3_600_000;
    const b = m.build('hang', 1)!;
    expect(isBuilding(b, clock.t)).toBe(true);
    m.stop(b, 'bob');
    expect(resultAt(b, clock.t)).toBe('ABORTED');
    expect(b.aborted).toEqual({ at: 3_600_000, by: 'bob' });
  });

  it('cancels a queued item: left, cancelled, no executable; a started one is not cancellable', () => {
    const { m, clock } = model([plain]);
    m.schedule('plain', { via: 'build', cause: {} });
    expect(m.cancel(1)).toBe(true);
    expect(m.item(1)?.cancelled).toBe(true);
    expect(m.item(1)?.executable).toBeUndefined();
    clock.t = 1000;
    expect(m.build('plain', 1)).toBeUndefined();
    m.schedule('plain', { via: 'build', cause: {}, delayMs: 0 });
    expect(m.cancel(2)).toBe(false);
    expect(m.cancel(99)).toBe(false);
  });

  it('a restart aborts running builds and forgets left items but keeps the queue', () => {
    const { m, clock } = model([plain, { name: 'later' }]);
    m.schedule('plain', { via: 'build', cause: {}, delayMs: 0 });
    m.schedule('later', { via: 'build', cause: {}, delayMs: 1000 });
    clock.t = 50;
    m.restart();
    expect(resultAt(m.build('plain', 1)!, 50)).toBe('ABORTED');
    expect(m.item(1)).toBeUndefined();
    expect(m.item(2)).toBeDefined();
  });
});
