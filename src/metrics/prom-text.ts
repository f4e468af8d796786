/**
 * Prometheus text exposition (0.0.4) for counts that live in their owners'
 * plain objects and are rendered at scrape time, where registering prom-client
 * metrics per endpoint would mean keeping two copies of every count.
 */

/** One sample: its labels already rendered (`a="x",b="y"`, or '' for none) and its value. */
export type Sample = [labels: string, value: number];

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The HELP and TYPE lines of a family followed by its samples, one per line. */
export function metricFamily(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  samples: Sample[],
): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...samples.map(([labels, value]) => `${name}${labels === '' ? '' : `{${labels}}`} ${value}`),
  ];
}
