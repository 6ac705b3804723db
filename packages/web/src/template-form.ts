/**
 * The template set form: every event kind shows a title and a body, the default where the set
 * has no override; only what differs from the default is sent as an override.
 */
import type { FieldProblem } from './api/client.ts';
import {
  NOTIFY_EVENTS,
  type NotifyEvent,
  type Template,
  type TemplateDefaults,
  type TemplateSet,
  type TemplateSetInput,
} from './api/notify-types.ts';

export interface TemplateFormValues {
  name: string;
  templates: Record<NotifyEvent, Template>;
}

const copy = (t: Template): Template => ({ title: t.title, body: t.body });
const same = (a: Template | undefined, b: Template | undefined): boolean =>
  a !== undefined && b !== undefined && a.title === b.title && a.body === b.body;

export function templateSetToForm(
  set: TemplateSet | undefined,
  defaults: TemplateDefaults,
): TemplateFormValues {
  const templates = {} as Record<NotifyEvent, Template>;
  for (const event of NOTIFY_EVENTS) templates[event] = copy(set?.templates[event] ?? defaults[event]);
  return { name: set?.name ?? '', templates };
}

/** Whether the form's template for `event` differs from the default (and will be sent). */
export const isOverridden = (values: TemplateFormValues, event: NotifyEvent, defaults: TemplateDefaults) =>
  !same(values.templates?.[event], defaults[event]);

/** The body of `POST /notify/templates` and `PUT /notify/templates/:id`: overrides only. */
export function formToTemplateSet(values: TemplateFormValues, defaults: TemplateDefaults): TemplateSetInput {
  const templates: TemplateSetInput['templates'] = {};
  for (const event of NOTIFY_EVENTS) {
    const t = values.templates?.[event];
    if (t && !same(t, defaults[event])) templates[event] = copy(t);
  }
  return { name: values.name.trim(), templates };
}

/** The events a stored set overrides, in the usual order. */
export const overriddenEvents = (set: TemplateSet): NotifyEvent[] =>
  NOTIFY_EVENTS.filter((e) => set.templates[e] !== undefined);

/**
 * A preview's 400 answer as lines to show: the server names the part (`body.template.title`),
 * shown as the field the user edits (`title: …`).
 */
export function previewProblemLines(errors: readonly FieldProblem[], fallback: string): string[] {
  if (!errors.length) return [fallback];
  return errors.map((e) => {
    const part = e.path.replace(/^body\./, '').replace(/^template\./, '');
    return part ? `${part}: ${e.message}` : e.message;
  });
}
