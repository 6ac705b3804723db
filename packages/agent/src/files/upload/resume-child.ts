/**
 * The uploader in a process of its own, for the resume test: it keeps the upload's progress in
 * a JSON file (the spool's stand-in, written and renamed like the spool) and, once `stallAfter`
 * parts are recorded, stops making progress so the test can SIGKILL it at a known point.
 * argv[2]: JSON of { absPath, entry, dest, host, spoolFile, stallAfter }.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { SpoolEntry } from '../model.ts';
import { S3DestinationSpec } from '../spec.ts';
import { uploadFile } from './multipart.ts';

const args = JSON.parse(process.argv[2]!) as {
  absPath: string;
  entry: SpoolEntry;
  dest: unknown;
  host: string;
  spoolFile: string;
  stallAfter: number;
};

await uploadFile({
  absPath: args.absPath,
  entry: args.entry,
  dest: S3DestinationSpec.parse(args.dest),
  host: args.host,
  onProgress: async (progress, bytesUploaded) => {
    writeFileSync(`${args.spoolFile}.tmp`, JSON.stringify({ progress, bytesUploaded }));
    renameSync(`${args.spoolFile}.tmp`, args.spoolFile);
    // A timer keeps the process alive while it waits to be killed.
    if (progress.parts.length >= args.stallAfter) await new Promise(() => setInterval(() => undefined, 1000));
  },
});
