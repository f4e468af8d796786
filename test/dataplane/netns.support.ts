// Two tenants' VPCs with the same CIDR (10.0.0.0/16) and the same instance address
// (10.0.0.10), as namespaces mode's end-to-end test and bench use them; the consumer has a
// second instance (10.0.0.11) outside an endpoint's whitelist.
import type { TestServerOptions } from '../support/server.ts';

export const SAME_CIDRS: NonNullable<TestServerOptions['accountExtras']> = {
  provider: {
    vpcs: [
      {
        name: 'vpc-p',
        cidr: '10.0.0.0/16',
        subnets: [
          { name: 'sn-p', cidr: '10.0.0.0/24', ports: [{ ip: '10.0.0.10', device_owner: 'compute:az1' }] },
        ],
      },
    ],
  },
  consumer: {
    vpcs: [
      {
        name: 'vpc-c',
        cidr: '10.0.0.0/16',
        subnets: [
          {
            name: 'sn-c',
            cidr: '10.0.0.0/24',
            ports: [
              { ip: '10.0.0.10', device_owner: 'compute:az1' },
              { ip: '10.0.0.11', device_owner: 'compute:az2' },
            ],
          },
        ],
      },
    ],
  },
};
