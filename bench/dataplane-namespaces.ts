// Namespaces mode against loopback mode alone (bench/dataplane.ts runs the same
// comparison as part of its goals when it can), root only:
//
//   node --import tsx bench/dataplane-namespaces.ts [--seconds 3] [--streams 4] [--concurrency 32] [--rounds 3]
//
// What it sets up and measures: bench/support/netns-comparison.ts. Nothing is
// asserted on timings; a path that carries nothing exits 1.
import { parseArgs } from 'node:util';
import { positiveInt } from './support/report.ts';
import { compareModes, comparisonReport } from './support/netns-comparison.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    streams: { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const comparison = await compareModes({
  seconds: positiveInt('seconds', values.seconds, 3, 60),
  streams: positiveInt('streams', values.streams, 4, 64),
  concurrency: positiveInt('concurrency', values.concurrency, 32, 512),
  rounds: positiveInt('rounds', values.rounds, 3, 50),
});
console.log(comparisonReport(comparison));
process.exit(comparison.carried ? 0 : 1);
