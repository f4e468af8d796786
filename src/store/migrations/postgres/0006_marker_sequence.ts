// Marker ids come from a sequence on PostgreSQL: the counter row of 0003 made
// every create of every tenant wait for the one before it to commit. The
// sequence starts where the counter stood, so no id is ever handed out twice;
// an id taken by a create that rolls back is skipped, never reused. The
// counter row stays, unused; an older node still running would keep counting
// from it, which is why nodes are upgraded together (docs/operations.md).
export const statements = [
  `CREATE SEQUENCE endpoint_marker_ids AS BIGINT MINVALUE 1 MAXVALUE 2147483647 NO CYCLE`,
  `SELECT setval('endpoint_marker_ids', (SELECT value FROM counters WHERE name = 'marker_id'))`,
];
