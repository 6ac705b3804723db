import type { ChecksumAlgorithm } from './checksums.ts';
import type { StoredPart } from './multipart.ts';
import type { Blob } from './storage.ts';

export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64; a COMPOSITE value ends in `-<parts>`. */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

export interface S3Object {
  key: string;
  blob: Blob;
  size: number;
  /** Quoted, as in the ETag header. */
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
  checksum?: ObjectChecksum;
  /** Part sizes of an object made by a multipart upload. */
  parts?: { n: number; size: number; checksum?: string }[];
}

export interface UploadedPart extends StoredPart {
  blob: Blob;
  lastModified: Date;
}

export interface Upload {
  id: string;
  key: string;
  initiated: Date;
  contentType: string;
  metadata: Record<string, string>;
  algorithm?: ChecksumAlgorithm;
  checksumType: 'FULL_OBJECT' | 'COMPOSITE';
  parts: Map<number, UploadedPart>;
}

export interface Bucket {
  name: string;
  created: Date;
  objects: Map<string, S3Object>;
  uploads: Map<string, Upload>;
}
