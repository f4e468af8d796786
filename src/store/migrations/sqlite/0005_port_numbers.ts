// Every port's address also as a number, indexed by subnet, so the lowest free
// address of a subnet and whether one address is held are index look-ups, not a
// load of every address of the subnet. Existing rows get theirs from the text
// (always a dotted quad: the API stores only addresses it has parsed).
export const statements = [
  `ALTER TABLE ports ADD COLUMN ip_number INTEGER`,
  `UPDATE ports SET ip_number = (
     SELECT (CAST(ports.ip_address AS INTEGER) << 24) + (CAST(r1 AS INTEGER) << 16)
          + (CAST(r2 AS INTEGER) << 8) + CAST(substr(r2, instr(r2, '.') + 1) AS INTEGER)
     FROM (SELECT r1, substr(r1, instr(r1, '.') + 1) AS r2
           FROM (SELECT substr(ports.ip_address, instr(ports.ip_address, '.') + 1) AS r1)))`,
  `CREATE INDEX ports_subnet_number ON ports (network_id, ip_number)`,
];
