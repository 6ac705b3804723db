import type { ResourceVocabulary } from '../config/accounts-config.ts';
import { aliyunProvider } from './aliyun/index.ts';
import { awsProvider } from './aws/index.ts';
import { huaweiProvider } from './huawei/index.ts';
import type { CloudName, Provider } from './provider.ts';
import { tencentProvider } from './tencent/index.ts';

/** Every cloud the exporter can collect. */
export const PROVIDERS: Provider[] = [aliyunProvider, tencentProvider, huaweiProvider, awsProvider];

/** What each provider accepts in accounts.yaml `resources`. */
export function resourceVocabulary(
  providers: Provider[] = PROVIDERS,
): Partial<Record<CloudName, ResourceVocabulary>> {
  return Object.fromEntries(
    providers.map((p) => [p.cloud, { aliases: p.resourceAliases, defaults: p.defaultResources }]),
  );
}
