// The demo's broken sample service: it cannot reach its queue and exits after two seconds, so
// the agent restarts it with backoff until it gives up (FATAL), and an alert appears.
console.log('INFO demo-worker starting, connecting to the job queue at 127.0.0.1:1');
setTimeout(() => {
  console.error('ERROR demo-worker: connect ECONNREFUSED 127.0.0.1:1');
  process.exit(1);
}, 2000);
