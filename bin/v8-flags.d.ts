/** Types of ./v8-flags.js, for the TypeScript that imports it (the bench). */
export declare const SERVE_FTP_V8_FLAGS: readonly string[];
export declare function v8FlagsFor(args: readonly string[], given?: readonly string[]): readonly string[];
