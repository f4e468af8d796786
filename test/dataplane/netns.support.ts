// Two tenants' VPCs with the same CIDR (10.0.0.0/16) and the same instance address
// (10.0.0.10), as namespaces mode's end-to-end test and bench use them; the consumer has a
// second instance (10.0.0.11) outside an endpoint's whitelist.
import { testAccount, type TestServer, type TestServerOptions } from '../support/server.ts';
import { networkOf, type Network } from '../vpcep/endpoints.support.ts';

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

/** The two test accounts calling the server at `url`, and their VPCs of SAME_CIDRS. */
export async function sameCidrBed(url: string): Promise<{ bed: TestServer; netP: Network; netC: Network }> {
  const bed = {
    url,
    provider: testAccount('provider', url),
    consumer: testAccount('consumer', url),
  } as TestServer;
  return { bed, netP: await networkOf(bed.provider, 'vpc-p'), netC: await networkOf(bed.consumer, 'vpc-c') };
}
