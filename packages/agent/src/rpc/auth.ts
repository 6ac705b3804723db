import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConfigProblem } from '@opsfleet/core';
import type { AgentSettings } from '../spec.ts';

/**
 * Who may call the agent's gRPC API. The API can add a service that runs any command, so it is
 * never open: without tokens in agent.yaml the agent makes two on first start and keeps them
 * 0600 in its data folder, where the local `opsfleet agent` commands read them.
 * - admin: everything, including ApplyConfig and the Command service (start/stop/restart…);
 * - read: listing, config (masked), logs, health, metrics.
 */
export type Permission = 'read' | 'admin';

export interface Tokens {
  admin: string;
  read: string;
}

export const TOKEN_FILES: Record<Permission, string> = {
  admin: 'grpc-admin.token',
  read: 'grpc-read.token',
};

/** Tokens written by this start (first start only), for the one time they are shown. */
export interface CreatedToken {
  permission: Permission;
  file: string;
  token: string;
}

function tokenFromFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // A token file others can read is as good as published; narrow it as ssh insists on.
  if (statSync(file).mode & 0o077) chmodSync(file, 0o600);
  return text || undefined;
}

/** The configured tokens, else the ones in the data folder, else new ones written there. */
export function resolveTokens(settings: AgentSettings): { tokens: Tokens; created: CreatedToken[] } {
  const created: CreatedToken[] = [];
  const one = (permission: Permission, configured: string | undefined): string => {
    if (configured) return configured;
    const file = join(settings.dataDir, TOKEN_FILES[permission]);
    const existing = tokenFromFile(file);
    if (existing) return existing;
    mkdirSync(settings.dataDir, { recursive: true });
    const token = randomBytes(32).toString('base64url');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    created.push({ permission, file, token });
    return token;
  };
  const tokens = { admin: one('admin', settings.grpc.token), read: one('read', settings.grpc.readToken) };
  return { tokens, created };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The permission a presented `authorization: Bearer <token>` carries, if any. Digests make the
 * compared buffers equal in length and both tokens are always compared, so the time taken says
 * nothing about how much of a token was right or which one it was close to.
 */
export function permissionOf(authorization: string, tokens: Tokens): Permission | undefined {
  const m = /^Bearer (.+)$/.exec(authorization);
  const given = digest(m?.[1] ?? '');
  const admin = timingSafeEqual(given, digest(tokens.admin));
  const read = timingSafeEqual(given, digest(tokens.read));
  if (!m) return undefined;
  return admin ? 'admin' : read ? 'read' : undefined;
}

/** `127.0.0.1`, `[::1]`, `localhost` or a unix socket: reachable from this host only. */
export function isLoopbackListen(listen: string): boolean {
  if (listen.startsWith('unix:')) return true;
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * The listener's safety rule: off this host only with TLS, since the token (and every
 * command) would otherwise cross the network in clear.
 */
export function listenProblems(settings: AgentSettings): ConfigProblem[] {
  const { listen, tls } = settings.grpc;
  if (isLoopbackListen(listen) || tls) return [];
  return [
    {
      path: 'agent.grpc.listen',
      message: `${listen} is reachable from other hosts, and the gRPC API can run commands: set agent.grpc.tls (cert and key) to listen there, or listen on 127.0.0.1`,
    },
  ];
}
