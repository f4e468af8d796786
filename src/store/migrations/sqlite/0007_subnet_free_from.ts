// Where the search for a subnet's lowest free address starts: every address
// of the subnet below it (the gateway aside) is held by a port. Allocation
// moves it up past the address it hands out; releasing an address (a port
// deleted or re-addressed) moves it down to that address; NULL (every
// existing subnet, and one whose block or gateway moved) means "from the
// first address". It turns a create's address search from a pass over every
// port of the subnet into one or two index look-ups.
export const statements = [`ALTER TABLE subnets ADD COLUMN free_from INTEGER`];
