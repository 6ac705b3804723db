import { describe, expect, it } from 'vitest';
import type { TemplateDefaults, TemplateSet } from './api/notify-types.ts';
import {
  formToTemplateSet,
  isOverridden,
  overriddenEvents,
  previewProblemLines,
  templateSetToForm,
} from './template-form.ts';

const defaults: TemplateDefaults = {
  firing: { title: '[FIRING:{{count}}] {{groupName}}', body: '### {{count}} firing' },
  resolved: { title: '[RESOLVED:{{count}}] {{groupName}}', body: '### {{count}} resolved' },
  acknowledged: { title: '[ACK] {{groupName}}', body: '### by {{actor}}' },
  escalated: { title: '[ESCALATED] {{groupName}}', body: '### {{waitedMinutes}} minutes' },
};

const set: TemplateSet = {
  id: 't1',
  name: 'short',
  templates: { resolved: { title: 'ok: {{groupName}}', body: 'resolved' } },
  createdBy: 'admin',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('the template set form', () => {
  it('shows the defaults for a new set and sends no overrides when nothing changed', () => {
    const values = templateSetToForm(undefined, defaults);
    expect(values).toEqual({ name: '', templates: defaults });
    expect(values.templates.firing).not.toBe(defaults.firing);
    expect(formToTemplateSet({ ...values, name: ' mine ' }, defaults)).toEqual({
      name: 'mine',
      templates: {},
    });
  });

  it('shows a set with its overrides and the defaults for the rest, and sends back only the overrides', () => {
    const values = templateSetToForm(set, defaults);
    expect(values.templates.resolved).toEqual(set.templates.resolved);
    expect(values.templates.firing).toEqual(defaults.firing);
    expect(formToTemplateSet(values, defaults)).toEqual({ name: 'short', templates: set.templates });
  });

  it.each([
    ['a changed title', { title: 'x', body: defaults.firing.body }, true],
    ['a changed body', { title: defaults.firing.title, body: 'y' }, true],
    ['the default', { ...defaults.firing }, false],
    [
      'the default with a trailing space',
      { title: `${defaults.firing.title} `, body: defaults.firing.body },
      true,
    ],
  ])('counts %s as an override: %s', (_, firing, overridden) => {
    const values = templateSetToForm(undefined, defaults);
    values.templates.firing = firing;
    expect(isOverridden(values, 'firing', defaults)).toBe(overridden);
    expect(Object.keys(formToTemplateSet(values, defaults).templates)).toEqual(overridden ? ['firing'] : []);
  });

  it('drops an override set back to the default text', () => {
    const values = templateSetToForm(set, defaults);
    values.templates.resolved = { ...defaults.resolved };
    expect(formToTemplateSet(values, defaults).templates).toEqual({});
  });

  it('lists the overridden events in event order', () => {
    expect(
      overriddenEvents({
        ...set,
        templates: { escalated: defaults.escalated, firing: defaults.firing },
      }),
    ).toEqual(['firing', 'escalated']);
  });

  it.each([
    [[], 'the template does not parse', ['the template does not parse']],
    [
      [{ path: 'body.template.body', message: 'Unclosed section "alerts" at 42' }],
      'x',
      ['body: Unclosed section "alerts" at 42'],
    ],
    [
      [
        { path: 'body.template.title', message: 'Unclosed tag at 5' },
        { path: 'template.body', message: 'Unopened section "x" at 0' },
      ],
      'x',
      ['title: Unclosed tag at 5', 'body: Unopened section "x" at 0'],
    ],
    [[{ path: '', message: 'bad' }], 'x', ['bad']],
  ])('names the part of a preview that does not parse (%j)', (errors, fallback, lines) => {
    expect(previewProblemLines(errors, fallback)).toEqual(lines);
  });
});
