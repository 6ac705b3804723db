import { silentLogger } from '@opsfleet/core';
import { describe, expect, it } from 'vitest';
import { buildConfig, parseAccountsFile, parseServerFile } from '../src/config/load.ts';
import { createExporter } from '../src/exporter.ts';
import { defaultMappingPath, loadMappings } from '../src/mappings/catalog.ts';
import { PROVIDERS, resourceVocabulary } from '../src/providers/index.ts';

describe('/api/discovery/config for AWS (AC-06)', () => {
  it('lists S3 with a daily storage group and a per-minute request group, and ALB per minute', async () => {
    const env = {};
    const accounts = parseAccountsFile(
      'accounts:\n  aws:\n    - {account_id: acc, access_key_id: AKIA1, access_key_secret: s, regions: [us-east-1], resources: [s3, alb]}\n',
      env,
    );
    const config = buildConfig(parseServerFile('{}', env), accounts, resourceVocabulary(), env);
    const exporter = await createExporter({
      config,
      catalog: loadMappings(defaultMappingPath()).catalog,
      providers: PROVIDERS,
      log: silentLogger(),
      env,
      schedule: false,
    });
    await exporter.discovery.refresh(config, (a) => exporter.collector.callsFor(a));
    const body = (await exporter.app.inject({ url: '/api/discovery/config' })).json();
    expect(body.version).toBeGreaterThanOrEqual(1);
    const aws = body.products.aws as {
      namespace: string;
      metric_info: { metric_list: string[]; period: number }[];
    }[];
    expect(aws.map((p) => p.namespace).sort()).toEqual(['AWS/ApplicationELB', 'AWS/S3']);
    const s3 = aws.find((p) => p.namespace === 'AWS/S3')!;
    expect(s3.metric_info[0]).toEqual({
      metric_list: ['BucketSizeBytes', 'NumberOfObjects'],
      period: 86_400,
    });
    expect(s3.metric_info[1]!.period).toBe(60);
    expect(s3.metric_info[1]!.metric_list).toEqual(
      expect.arrayContaining(['AllRequests', 'GetRequests', 'PutRequests', '4xxErrors', '5xxErrors']),
    );
    const alb = aws.find((p) => p.namespace === 'AWS/ApplicationELB')!;
    expect(alb.metric_info).toHaveLength(1);
    expect(alb.metric_info[0]!.period).toBe(60);
    expect(alb.metric_info[0]!.metric_list).toEqual(
      expect.arrayContaining(['RequestCount', 'ProcessedBytes', 'ActiveConnectionCount']),
    );
    await exporter.close();
  });
});
