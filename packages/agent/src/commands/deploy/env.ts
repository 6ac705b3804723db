import { join } from 'node:path';

export const OPERATIONS = ['install', 'update', 'rollback', 'uninstall', 'deploy'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface DeployRequest {
  project: string;
  env: string;
  version: string;
  previousVersion?: string | null;
  target: string;
  operation: Operation;
}

/** Where a project's environment lives on this host: its releases, `current` and downloads. */
export interface DeployPaths {
  /** `<dataDir>/deploys/<project>/<env>`: holds `releases/`, `current` and what the script keeps. */
  appDir: string;
  /** `<appDir>/releases/<version>`: where the script installs this version. */
  releaseDir: string;
  artifactsDir: string;
}

export function deployPaths(
  dataDir: string,
  r: Pick<DeployRequest, 'project' | 'env' | 'version'>,
): DeployPaths {
  const appDir = join(dataDir, 'deploys', r.project, r.env);
  return {
    appDir,
    releaseDir: join(appDir, 'releases', r.version),
    artifactsDir: join(appDir, 'artifacts'),
  };
}

/**
 * The variables a deploy script gets, on top of the agent's own environment. Every one is set,
 * empty when it does not apply (no previous version, no artifact), so a script under `set -u`
 * can read them all.
 */
export function deployEnv(
  r: DeployRequest,
  paths: DeployPaths,
  extra: { commandId: string; artifact?: string; detach: string },
): Record<string, string> {
  return {
    OPSFLEET_PROJECT: r.project,
    OPSFLEET_ENV: r.env,
    OPSFLEET_VERSION: r.version,
    OPSFLEET_PREVIOUS_VERSION: r.previousVersion ?? '',
    OPSFLEET_TARGET: r.target,
    OPSFLEET_OPERATION: r.operation,
    OPSFLEET_ARTIFACT: extra.artifact ?? '',
    OPSFLEET_APP_DIR: paths.appDir,
    OPSFLEET_RELEASE_DIR: paths.releaseDir,
    OPSFLEET_COMMAND_ID: extra.commandId,
    OPSFLEET_DETACH: extra.detach,
  };
}
