// Every port's address also as a number, indexed by subnet, so the lowest free
// address of a subnet and whether one address is held are index look-ups, not a
// load of every address of the subnet. Existing rows get theirs from the text
// (always a dotted quad: the API stores only addresses it has parsed).
export const statements = [
  `ALTER TABLE ports ADD COLUMN ip_number BIGINT`,
  `UPDATE ports SET ip_number = (split_part(ip_address, '.', 1)::bigint << 24)
     + (split_part(ip_address, '.', 2)::bigint << 16)
     + (split_part(ip_address, '.', 3)::bigint << 8)
     + split_part(ip_address, '.', 4)::bigint`,
  `CREATE INDEX ports_subnet_number ON ports (network_id, ip_number)`,
];
