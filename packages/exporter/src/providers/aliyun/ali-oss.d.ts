/** The part of `ali-oss` the exporter uses (the package ships no type declarations). */
declare module 'ali-oss' {
  namespace OSS {
    interface Options {
      accessKeyId: string;
      accessKeySecret: string;
      region?: string;
      endpoint?: string;
      secure?: boolean;
      sldEnable?: boolean;
      timeout?: number;
    }
    interface Bucket {
      name: string;
      region: string;
    }
  }
  class OSS {
    constructor(options: OSS.Options);
    listBuckets(
      query?: Record<string, unknown>,
    ): Promise<{ buckets: OSS.Bucket[] | null; isTruncated: boolean; nextMarker: string | null }>;
    getBucketTags(name: string): Promise<{ tag: Record<string, string> }>;
  }
  export default OSS;
}
