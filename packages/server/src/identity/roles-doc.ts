import { BEFORE_PASSWORD_CHANGE, type GuardedRoute, PUBLIC } from './auth.ts';
import { can, PERMISSIONS, ROLE_PURPOSE, ROLES } from './permissions.ts';

/**
 * docs/security/roles.md: who may do what, from the permission table and the routes as the
 * server registers them, so the document cannot drift from the code (a test compares the two).
 */
export function rolesMarkdown(routes: readonly GuardedRoute[]): string {
  const sorted = [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  const out = [
    '# What each role may do',
    '',
    'Generated from `packages/server/src/identity/permissions.ts` and the routes the server registers,',
    'by `npx tsx scripts/gen-security-roles.ts`; do not edit by hand (a test fails when this file is stale).',
    'Every API route names one permission; a role has it or not. Users have one of the first four roles;',
    '`agent` is for API keys only. See identity.md for sessions, tokens and login protection.',
    '',
    '| role | for |',
    '|---|---|',
    ...ROLES.map((r) => `| \`${r}\` | ${ROLE_PURPOSE[r]} |`),
    '',
    '## Permissions by role',
    '',
    `| permission | ${ROLES.join(' | ')} |`,
    `|---|${ROLES.map(() => ':-:').join('|')}|`,
    ...PERMISSIONS.map((p) => `| \`${p}\` | ${ROLES.map((r) => (can(r, p) ? '✓' : '')).join(' | ')} |`),
    '',
    '## Routes by permission',
    '',
    `Without a credential: ${[...PUBLIC]
      .sort()
      .map((u) => `\`POST ${u}\``)
      .join(', ')}, the API`,
    'documentation at `/api/docs`, `/healthz` and `/readyz`. A user who must change the password',
    `(the first admin's generated one) may call only ${[...BEFORE_PASSWORD_CHANGE]
      .sort()
      .map((u) => `\`${u}\``)
      .join(' and ')}`,
    'until they have, and log out.',
    '',
  ];
  for (const p of PERMISSIONS) {
    const mine = sorted.filter((r) => r.permission === p);
    out.push(
      `### \`${p}\``,
      '',
      `Roles: ${ROLES.filter((r) => can(r, p)).join(', ')}.`,
      '',
      ...(mine.length ? mine.map((r) => `- \`${r.method} ${r.url}\``) : ['- (no route yet)']),
      '',
    );
  }
  return out.join('\n');
}
