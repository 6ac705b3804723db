// smtp-server ships no types; the tests use this much of it.
declare module 'smtp-server' {
  export class SMTPServer {
    constructor(options: Record<string, unknown>);
    listen(port: number, host: string, cb?: () => void): void;
    close(cb?: () => void): void;
    server: { address(): { port: number } };
  }
}
