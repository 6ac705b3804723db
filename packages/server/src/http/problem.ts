/**
 * RFC 9457 problem details. Services throw `Problem`; the app's error handler answers with
 * `application/problem+json`, so every error a client sees has one shape.
 */
export interface FieldProblem {
  path: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldProblem[],
  ) {
    super(detail);
    this.name = 'Problem';
  }

  body(instance?: string): Record<string, unknown> {
    return {
      type: 'about:blank',
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...(this.errors?.length ? { errors: this.errors } : {}),
    };
  }
}

export const badRequest = (detail: string, errors?: FieldProblem[]) =>
  new Problem(400, 'Bad Request', detail, errors);
export const notFound = (detail: string) => new Problem(404, 'Not Found', detail);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);
