export * from './checksums.ts';
export { ChunkedDecoder, type ChunkSigning } from './chunked.ts';
export { S3Error } from './errors.ts';
export * from './faults.ts';
export { MAX_PART_NUMBER, MIN_PART_SIZE } from './multipart.ts';
export * from './server.ts';
