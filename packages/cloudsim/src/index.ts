export * from './demo-world.ts';
export {
  type JenkinsSim,
  type JenkinsSimOptions,
  type JobSpec as JenkinsJobSpec,
  startJenkinsSim,
} from './jenkins/index.ts';
export * from './s3/index.ts';
export * from './server.ts';
export * from './sim-state.ts';
export * from './world.ts';
