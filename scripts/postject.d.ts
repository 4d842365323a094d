// postject ships no types; this is the one call the build makes.
declare module 'postject' {
  export function inject(file: string, resource: string, data: Buffer, options: { sentinelFuse: string }): Promise<void>;
}
