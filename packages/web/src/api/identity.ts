/** Users, password resets, API keys and the user's own password. */
import { api } from './client.ts';
import type { ApiKey, CreatedApiKey, ResetToken, Role, User } from './types.ts';

export const listUsers = (signal?: AbortSignal) => api<User[]>('/api/v1/users', { signal });

export const createUser = (username: string, password: string, role: Role) =>
  api<User>('/api/v1/users', { method: 'POST', body: { username, password, role } });

export const updateUser = (id: string, change: { role?: Role; disabled?: boolean }) =>
  api<User>(`/api/v1/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: change });

export const issueReset = (id: string) =>
  api<ResetToken>(`/api/v1/users/${encodeURIComponent(id)}/reset`, { method: 'POST', body: {} });

export const changePassword = (current: string, password: string) =>
  api<void>('/api/v1/auth/password', { method: 'POST', body: { current, password } });

export const listApiKeys = (signal?: AbortSignal) => api<ApiKey[]>('/api/v1/api-keys', { signal });

export const createApiKey = (name: string, role: Role) =>
  api<CreatedApiKey>('/api/v1/api-keys', { method: 'POST', body: { name, role } });

export const revokeApiKey = (id: string) =>
  api<void>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
