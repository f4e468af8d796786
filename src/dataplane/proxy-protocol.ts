// The codec lives in ./proxy-protocol/; this file keeps the shorter import
// path working for callers.
export * from './proxy-protocol/index.ts';
