/** What went wrong, as the agent's API reports it: each kind is one gRPC status (rpc/server.ts). */
export type AgentErrorCode = 'not-found' | 'invalid' | 'conflict' | 'unsupported' | 'closed';

/** An error the caller can act on: an unknown name, bad input, a state that forbids the operation. */
export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
