import { describe, expect, it } from 'vitest';
import { MASK, maskedPaths, maskValue, maskYaml } from './mask.ts';

const YAML = `# the web host
agent:
  grpc: { listen: "127.0.0.1:7070", token: s3cret-admin, tls: { cert: /etc/a.crt, key: /etc/a.key } }
  server: { url: "http://opsfleet:8080", token: "\${AGENT_KEY}" }
  remoteWrite:
    url: http://vm:8428/api/v1/write
    headers: { X-Scope: team-a-secret }
services:
  - name: api
    command: /usr/bin/api
    env: { PORT: "8080", DB_PASSWORD: hunter2, STRIPE_API_KEY: sk_live_1 }
`;

describe('GetConfig masking', () => {
  it('masks tokens, passwords, API keys and header values in the file, keeping comments and references', () => {
    const out = maskYaml(YAML);
    for (const secret of ['s3cret-admin', 'team-a-secret', 'hunter2', 'sk_live_1'])
      expect(out).not.toContain(secret);
    expect(out).toContain('# the web host');
    expect(out).toMatch(/\$\{AGENT_KEY\}/);
    expect(out).toContain('/etc/a.key');
    expect(out).toContain('PORT: "8080"');
  });

  it('masks the same values in the parsed configuration', () => {
    const masked = maskValue({
      agent: { grpc: { token: 'x', listen: 'l' }, remoteWrite: { headers: { a: 'b' } } },
      services: [{ env: { DB_PASSWORD: 'p', PORT: '1' } }],
    });
    expect(masked).toEqual({
      agent: { grpc: { token: MASK, listen: 'l' }, remoteWrite: { headers: { a: MASK } } },
      services: [{ env: { DB_PASSWORD: MASK, PORT: '1' } }],
    });
    expect(maskedPaths(masked)).toEqual([
      'agent.grpc.token',
      'agent.remoteWrite.headers.a',
      'services[0].env.DB_PASSWORD',
    ]);
  });
});
