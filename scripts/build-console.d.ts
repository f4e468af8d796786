/** Types of build-console.js, for the tests and scripts that build the console themselves. */
export interface ConsoleAsset {
  file: string;
  bytes: number;
  gzip: number;
  brotli: number;
}
export function buildConsole(outDir?: string): Promise<ConsoleAsset[]>;
