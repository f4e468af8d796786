/**
 * The data plane's socket plumbing: TCP and UDP forwarders from endpoint
 * IPs/ports to backend IPs/ports, reconciled by ForwarderSet.apply().
 */
export { EndpointCounters } from './counters.ts';
export type { EndpointTraffic } from './counters.ts';
export { ForwarderSet } from './forwarder-set.ts';
export { ReadBuffers, canAdoptAcceptedSockets } from './read-buffers.ts';
export type { ReadBufferSizes } from './read-buffers.ts';
export { SourcePorts } from './source-ports.ts';
export type { ForwarderSetOptions, ListenerInfo } from './forwarder-set.ts';
export { compareSpecs, specProblem } from './types.ts';
export type {
  ApplyResult,
  FlowInfo,
  ForwarderLog,
  ForwarderProtocol,
  ListenerSpec,
  ProxyProtocolSpec,
} from './types.ts';
