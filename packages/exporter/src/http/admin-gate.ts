import { adminAuth, type Credential } from '@opsfleet/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (a dual-stack socket reports those). */
export function isLoopbackAddress(address: string | undefined): boolean {
  const a = (address ?? '').replace(/^::ffff:/, '');
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

/**
 * The admin endpoints (/collect, /-/reload, /status, /api/discovery/*) trigger cloud API calls
 * (which cost money and rate limit) and list every account's resources. With admin credentials
 * configured, every caller needs them; without, only a caller on this host is served, judged by
 * the socket's peer address (never a forwarded header). `credentials` is read per request, so a
 * reload that changes them takes effect at once.
 */
export function adminGate(credentials: () => Credential[]) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const pairs = credentials();
    if (pairs.length) return adminAuth(pairs)(req, reply);
    if (isLoopbackAddress(req.socket.remoteAddress)) return;
    reply.code(403).type('application/problem+json').send({
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      detail:
        'admin endpoints answer only on loopback while admin auth is off: set admin_auth_enabled and admin_auth in server.yaml (or ADMIN_AUTH_ENABLED and ADMIN_AUTH) to use them from other hosts',
    });
    return reply;
  };
}
