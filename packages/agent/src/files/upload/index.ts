/** The S3 uploader of the file pipeline: what the upload workers and config validation use. */
export { S3Clients, type S3Connection } from './client.ts';
export { resolveCredentials, type S3Credentials } from './credentials.ts';
export { UploadError } from './errors.ts';
export { checkKeyTemplate, KeyError, objectKey } from './key.ts';
export { ByteLimiter } from './limiter.ts';
export { abortStale, type UploadOptions, uploadFile } from './multipart.ts';
