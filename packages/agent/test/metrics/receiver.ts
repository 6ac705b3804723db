import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import protobuf from 'protobufjs';
import { uncompress } from 'snappyjs';

/**
 * A remote-write receiver for tests: snappy block decompression by snappyjs and protobuf
 * decoding by protobufjs from the spec's own .proto text, so the agent's hand-written encoder
 * is checked by an independent decoder.
 */
const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;
const WriteRequest = protobuf.parse(PROTO).root.lookupType('prometheus.WriteRequest');

export interface DecodedSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}

export function decodeWriteRequest(compressed: Uint8Array): DecodedSeries[] {
  const raw = uncompress(compressed);
  const msg = WriteRequest.decode(raw);
  const obj = WriteRequest.toObject(msg, { longs: Number, defaults: true, arrays: true }) as {
    timeseries: DecodedSeries[];
  };
  return obj.timeseries;
}

export interface ReceivedRequest {
  at: number;
  method: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Every request accepted (2xx) so far, decoded. */
  accepted(): DecodedSeries[];
  /** Statuses to answer, in order; after the list, 204. A `retryAfter` is sent as Retry-After. */
  respond(...answers: (number | { status: number; retryAfter: string })[]): void;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let answers: (number | { status: number; retryAfter: string })[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = answers.shift() ?? 204;
      const status = typeof answer === 'number' ? answer : answer.status;
      requests.push({
        at: Date.now(),
        method: req.method!,
        headers: req.headers,
        body: Buffer.concat(chunks),
        status,
      });
      if (typeof answer !== 'number') res.setHeader('Retry-After', answer.retryAfter);
      res.statusCode = status;
      res.end(status >= 300 ? `answer ${status}` : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}/api/v1/write`,
    port: bound,
    requests,
    accepted: () => requests.filter((r) => r.status < 300).flatMap((r) => decodeWriteRequest(r.body)),
    respond(...list) {
      answers = list;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
