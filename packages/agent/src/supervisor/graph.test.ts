import { describe, expect, it } from 'vitest';
import {
  DependencyError,
  dependenciesOf,
  dependentsOf,
  type GraphNode,
  graphProblems,
  startLayers,
  stopLayers,
} from './graph.ts';

const g = (spec: Record<string, string[]>): GraphNode[] =>
  Object.entries(spec).map(([name, dependsOn]) => ({ name, dependsOn }));

describe('graphProblems', () => {
  it.each([
    ['sound', { web: ['api'], api: ['db', 'cache'], db: [], cache: [] }, []],
    ['a two-cycle', { api: ['db'], db: ['api'] }, ['dependency cycle: api → db → api']],
    ['a self-dependency', { api: ['api'] }, ['dependency cycle: api → api']],
    [
      'a three-cycle behind an entry',
      { web: ['a'], a: ['b'], b: ['c'], c: ['a'] },
      ['dependency cycle: a → b → c → a'],
    ],
    ['an unknown dependency', { api: ['cache'] }, ['api depends on cache, which is not a service']],
    [
      'both',
      { api: ['db', 'nope'], db: ['api'] },
      ['api depends on nope, which is not a service', 'dependency cycle: api → db → api'],
    ],
  ])('%s', (_, spec, problems) => {
    expect(graphProblems(g(spec))).toEqual(problems);
  });

  it('names a duplicate service', () => {
    expect(graphProblems([...g({ a: [] }), ...g({ a: [] })])).toEqual(['service a is declared twice']);
  });
});

describe('layers', () => {
  it.each([
    ['independent', { a: [], b: [] }, [['a', 'b']]],
    ['a chain', { c: ['b'], b: ['a'], a: [] }, [['a'], ['b'], ['c']]],
    [
      'a diamond',
      { web: ['api', 'auth'], api: ['db'], auth: ['db'], db: [] },
      [['db'], ['api', 'auth'], ['web']],
    ],
    ['uneven', { web: ['api', 'db'], api: ['db'], db: [], cron: [] }, [['db', 'cron'], ['api'], ['web']]],
  ])('%s', (_, spec, layers) => {
    expect(startLayers(g(spec))).toEqual(layers);
    expect(stopLayers(g(spec))).toEqual([...layers].reverse());
  });

  it('refuses a cycle, naming it', () => {
    expect(() => startLayers(g({ api: ['db'], db: ['api'] }))).toThrow(
      new DependencyError(['dependency cycle: api → db → api']),
    );
  });
});

describe('neighbours', () => {
  const nodes = g({ web: ['api'], api: ['db', 'cache'], db: [], cache: ['db'] });
  it('dependents', () => expect(dependentsOf(nodes, 'db')).toEqual(['api', 'cache']));
  it('dependencies, deepest first', () =>
    expect(dependenciesOf(nodes, 'web')).toEqual(['db', 'cache', 'api']));
});
