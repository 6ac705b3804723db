/** Configuration that points a sender at this server with an API key. */

/** How Alertmanager sends to this server with a key: `basic_auth` with the user `api_key`. */
export function alertmanagerSnippet(origin: string, key: string): string {
  return [
    'receivers:',
    '  - name: opsfleet',
    '    webhook_configs:',
    `      - url: ${origin}/api/v1/webhooks/alertmanager`,
    '        send_resolved: true',
    '        http_config:',
    '          basic_auth:',
    '            username: api_key',
    `            password: ${key}`,
  ].join('\n');
}

export function vmalertSnippet(origin: string, key: string): string {
  return [
    `-notifier.url=${origin}`,
    '-notifier.basicAuth.username=api_key',
    `-notifier.basicAuth.password=${key}`,
  ].join(' \\\n');
}
