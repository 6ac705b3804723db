/** The audit log: who changed what, newest first (admins). */
import { linkedPage } from './linked-pages.ts';

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  resource: string;
  /** The resource before and after the change; never a secret. */
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** Resources starting so: `user:`, `silence:1b2c`. */
  resource?: string;
  from?: string;
  limit?: number;
  cursor?: string;
}

export const listAudit = (filter: AuditFilter, signal?: AbortSignal) =>
  linkedPage<AuditEntry>('/api/v1/audit', { ...filter }, signal);
