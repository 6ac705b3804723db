import { describe, expect, it } from 'vitest';
import {
  type FileFilter,
  fileFilterSearch,
  fileListQuery,
  fromLocalInput,
  localInput,
  parseFileFilter,
  parseTaskFilter,
  taskFilterSearch,
  taskListQuery,
} from './files-filter.ts';

const AGENT = '0b6f1d0e-6a7e-4f43-9d5c-3f3f0c2b9d11';

describe('file list filters in the page address', () => {
  it.each<[string, FileFilter]>([
    ['', { states: [] }],
    ['?state=failed,uploaded', { states: ['failed', 'uploaded'] }],
    ['?state=failed,bogus,failed', { states: ['failed'] }],
    [`?agent=${AGENT}&source=dumps`, { states: [], agent: AGENT, source: 'dumps' }],
    ['?path=%20heap%20', { states: [], path: 'heap' }],
    ['?since=2026-12-07T10:00:00Z&until=not-a-time', { states: [], since: '2026-12-07T10:00:00.000Z' }],
  ])('%s reads as the filter', (search, filter) => {
    expect(parseFileFilter(search)).toEqual({
      agent: undefined,
      source: undefined,
      path: undefined,
      since: undefined,
      until: undefined,
      ...filter,
    });
  });

  it.each<FileFilter>([
    { states: [] },
    { states: ['detected', 'failed'], path: 'heap', source: 'dumps' },
    {
      states: ['uploaded'],
      agent: AGENT,
      since: '2026-12-07T10:00:00.000Z',
      until: '2026-12-07T11:00:00.000Z',
    },
  ])('a filter survives the round trip through the address: %j', (filter) => {
    expect(parseFileFilter(fileFilterSearch(filter))).toMatchObject(filter);
  });

  it('writes nothing for no filter', () => {
    expect(fileFilterSearch({ states: [] })).toBe('');
  });
});

describe('the files query', () => {
  it.each<[FileFilter, Record<string, unknown>]>([
    [{ states: [] }, {}],
    [{ states: ['failed', 'detected'] }, { state: 'failed,detected' }],
    [{ states: [], path: 'he' }, {}],
    [{ states: [], path: 'heap' }, { path: 'heap' }],
    [
      { states: [], agent: AGENT, source: 'dumps' },
      { agent: AGENT, source: 'dumps' },
    ],
  ])('%j asks for %j', (filter, expected) => {
    const query = fileListQuery(filter, 'c1', 50);
    const sent = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    expect(sent).toEqual({ ...expected, cursor: 'c1', limit: 50 });
  });
});

describe('task filters', () => {
  it.each([
    ['?state=failed', { state: 'failed' }],
    ['?state=exploded', {}],
    [`?action=${AGENT}&file=f1`, { action: AGENT, file: 'f1' }],
  ])('%s reads as %j and back', (search, expected) => {
    const filter = parseTaskFilter(search);
    expect(Object.fromEntries(Object.entries(filter).filter(([, v]) => v))).toEqual(expected);
    expect(parseTaskFilter(taskFilterSearch(filter))).toEqual(filter);
  });

  it('sends the filter with the page', () => {
    expect(taskListQuery({ state: 'failed' }, undefined, 20)).toEqual({
      state: 'failed',
      cursor: undefined,
      limit: 20,
    });
  });
});

describe('since and until in datetime-local inputs', () => {
  it('round-trips a minute through the local input', () => {
    const iso = new Date(2026, 11, 7, 9, 5).toISOString();
    expect(localInput(iso)).toBe('2026-12-07T09:05');
    expect(fromLocalInput('2026-12-07T09:05')).toBe(iso);
  });

  it.each(['', 'yesterday'])('%j is no time', (value) => {
    expect(fromLocalInput(value)).toBeUndefined();
  });

  it('shows nothing for no time', () => {
    expect(localInput(undefined)).toBe('');
  });
});
