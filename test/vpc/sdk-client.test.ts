// The official VPC client drives the inventory end to end: if a path, a wrapper
// key or a field name drifts from what the SDK expects, these tests fail.
import '../support/quiet-sdk.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc/v2/VpcClient.js';
import { CreatePortOption } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreatePortOption.js';
import { CreatePortRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreatePortRequest.js';
import { CreatePortRequestBody } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreatePortRequestBody.js';
import { CreateSubnetOption } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreateSubnetOption.js';
import { CreateSubnetRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreateSubnetRequest.js';
import { CreateSubnetRequestBody } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreateSubnetRequestBody.js';
import { CreateVpcOption } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreateVpcOption.js';
import { CreateVpcRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreateVpcRequest.js';
import { CreateVpcRequestBody } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/CreateVpcRequestBody.js';
import { DeletePortRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/DeletePortRequest.js';
import { DeleteSubnetRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/DeleteSubnetRequest.js';
import { DeleteVpcRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/DeleteVpcRequest.js';
import { FixedIp } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/FixedIp.js';
import { ListPortsRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ListPortsRequest.js';
import { ListRouteTablesRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ListRouteTablesRequest.js';
import { ListSubnetsRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ListSubnetsRequest.js';
import { ListVpcsRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ListVpcsRequest.js';
import { ShowPortRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ShowPortRequest.js';
import { ShowRouteTableRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ShowRouteTableRequest.js';
import { ShowSubnetRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ShowSubnetRequest.js';
import { ShowVpcRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/ShowVpcRequest.js';
import { UpdateVpcOption } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/UpdateVpcOption.js';
import { UpdateVpcRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/UpdateVpcRequest.js';
import { UpdateVpcRequestBody } from '@huaweicloud/huaweicloud-sdk-vpc/v2/model/UpdateVpcRequestBody.js';
import type {
  PortView,
  RouteTableListItem,
  RouteTableView,
  SubnetView,
  VpcView,
} from '../../src/vpc/schemas.ts';
import { testDialects } from '../support/db.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// The SDK hands back the parsed JSON, not model instances, so snake_case keys are
// read as the wire has them; the view types only give the reads a shape.
const wire = <T>(value: unknown): T => value as T;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

for (const dialect of testDialects()) {
  describe(`VPC API through the official VpcClient (${dialect})`, () => {
    let server: TestServer;
    let client: VpcClient;
    let vpc: VpcView;
    let subnet: SubnetView;
    let nic: PortView;
    let vip: PortView;
    const serverId = '3f0ae5c4-42c2-4f4b-9d7e-1a3e2b6c0d11';

    before(async () => {
      server = await startTestServer({ dialect });
      const { ak, sk, projectId } = server.provider;
      const credentials = new BasicCredentials().withAk(ak).withSk(sk).withProjectId(projectId);
      client = VpcClient.newBuilder().withCredential(credentials).withEndpoint(server.url).build();
    });
    after(async () => server.close());

    test('creates a VPC and reads it back, alone and in the list', async () => {
      const option = new CreateVpcOption()
        .withName('vpc-sdk')
        .withCidr('10.10.0.0/16')
        .withDescription('made by sdk');
      const created = await client.createVpc(
        new CreateVpcRequest().withBody(new CreateVpcRequestBody().withVpc(option)),
      );
      assert.equal(created.httpStatusCode, 200);
      vpc = wire<VpcView>(created.vpc);
      assert.match(vpc.id, UUID);
      assert.equal(vpc.name, 'vpc-sdk');
      assert.equal(vpc.cidr, '10.10.0.0/16');
      assert.equal(vpc.description, 'made by sdk');
      assert.equal(vpc.status, 'OK');
      assert.deepEqual(vpc.routes, []);
      assert.equal(vpc.enterprise_project_id, '0');
      assert.equal(vpc.tenant_id, server.provider.projectId);
      assert.match(vpc.created_at, TIME);

      const shown = await client.showVpc(new ShowVpcRequest(vpc.id));
      assert.deepEqual(wire<VpcView>(shown.vpc), vpc);

      const listed = wire<VpcView[]>((await client.listVpcs(new ListVpcsRequest())).vpcs);
      assert.deepEqual(
        listed.map((v) => v.id),
        [vpc.id],
      );
      const filtered = wire<VpcView[]>((await client.listVpcs(new ListVpcsRequest().withId(vpc.id))).vpcs);
      assert.equal(filtered.length, 1);
    });

    test('updates a VPC name and description', async () => {
      const option = new UpdateVpcOption().withName('vpc-sdk-renamed').withDescription('renamed');
      const updated = await client.updateVpc(
        new UpdateVpcRequest().withVpcId(vpc.id).withBody(new UpdateVpcRequestBody().withVpc(option)),
      );
      const v = wire<VpcView>(updated.vpc);
      assert.equal(v.name, 'vpc-sdk-renamed');
      assert.equal(v.description, 'renamed');
      assert.equal(v.cidr, vpc.cidr);
      vpc = v;
    });

    test('creates a subnet with the default gateway and lists it by VPC', async () => {
      const option = new CreateSubnetOption('subnet-sdk', '10.10.1.0/24', vpc.id)
        .withAvailabilityZone('az1')
        .withPrimaryDns('100.125.1.250');
      const created = await client.createSubnet(
        new CreateSubnetRequest().withBody(new CreateSubnetRequestBody().withSubnet(option)),
      );
      subnet = wire<SubnetView>(created.subnet);
      assert.match(subnet.id, UUID);
      assert.equal(subnet.cidr, '10.10.1.0/24');
      assert.equal(subnet.gateway_ip, '10.10.1.1');
      assert.equal(subnet.vpc_id, vpc.id);
      assert.equal(subnet.status, 'ACTIVE');
      assert.equal(subnet.dhcp_enable, true);
      assert.equal(subnet.ipv6_enable, false);
      assert.equal(subnet.primary_dns, '100.125.1.250');
      assert.deepEqual(subnet.dnsList, ['100.125.1.250']);
      assert.equal(subnet.availability_zone, 'az1');
      assert.equal(subnet.neutron_network_id, subnet.id);
      assert.match(subnet.neutron_subnet_id, UUID);
      assert.notEqual(subnet.neutron_subnet_id, subnet.id);

      const shown = wire<SubnetView>((await client.showSubnet(new ShowSubnetRequest(subnet.id))).subnet);
      assert.deepEqual(shown, subnet);
      const listed = wire<SubnetView[]>(
        (await client.listSubnets(new ListSubnetsRequest().withVpcId(vpc.id))).subnets,
      );
      assert.deepEqual(
        listed.map((s) => s.id),
        [subnet.id],
      );
      const elsewhere = await client.listSubnets(
        new ListSubnetsRequest().withVpcId('00000000-0000-0000-0000-000000000000'),
      );
      assert.deepEqual(elsewhere.subnets, []);
    });

    test('creates an ECS NIC with a fixed address', async () => {
      const option = new CreatePortOption(subnet.id)
        .withName('ecs-nic')
        .withDeviceOwner('compute:az1')
        .withFixedIps([new FixedIp().withIpAddress('10.10.1.20').withSubnetId(subnet.neutron_subnet_id)]);
      // device_id is not in the SDK's CreatePortOption; the emulator accepts it so a
      // fixture can say which server owns the NIC.
      Object.assign(option, { device_id: serverId });
      const created = await client.createPort(
        new CreatePortRequest().withBody(new CreatePortRequestBody().withPort(option)),
      );
      assert.equal(created.httpStatusCode, 200);
      nic = wire<PortView>(created.port);
      assert.match(nic.id, UUID);
      assert.equal(nic.network_id, subnet.id);
      assert.deepEqual(nic.fixed_ips, [{ ip_address: '10.10.1.20', subnet_id: subnet.neutron_subnet_id }]);
      assert.equal(nic.device_owner, 'compute:az1');
      assert.equal(nic.device_id, serverId);
      assert.equal(nic.status, 'ACTIVE');
      assert.equal(nic.admin_state_up, true);
      assert.match(nic.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(nic.tenant_id, server.provider.projectId);
      assert.equal(nic.project_id, server.provider.projectId);
      assert.deepEqual(nic.security_groups, []);
      assert.deepEqual(nic.allowed_address_pairs, []);
    });

    test('creates a load balancer VIP port with the lowest free address', async () => {
      const option = new CreatePortOption(subnet.id)
        .withName('elb-vip')
        .withDeviceOwner('neutron:LOADBALANCERV2');
      const created = await client.createPort(
        new CreatePortRequest().withBody(new CreatePortRequestBody().withPort(option)),
      );
      vip = wire<PortView>(created.port);
      // .0 is the network and .1 the gateway, so .2 is the first address a port can get.
      assert.equal(vip.fixed_ips[0]?.ip_address, '10.10.1.2');
      assert.equal(vip.device_owner, 'neutron:LOADBALANCERV2');
      assert.equal(vip.status, 'ACTIVE');
      assert.notEqual(vip.mac_address, nic.mac_address);
    });

    test('shows and lists ports with the filters SDK users pass', async () => {
      const shown = wire<PortView>((await client.showPort(new ShowPortRequest(nic.id))).port);
      assert.deepEqual(shown, nic);

      const all = wire<PortView[]>((await client.listPorts(new ListPortsRequest())).ports);
      assert.deepEqual(
        all.map((p) => p.id),
        [nic.id, vip.id],
      );
      const byOwner = wire<PortView[]>(
        (await client.listPorts(new ListPortsRequest().withDeviceOwner('neutron:LOADBALANCERV2'))).ports,
      );
      assert.deepEqual(
        byOwner.map((p) => p.id),
        [vip.id],
      );
      const byIp = wire<PortView[]>(
        (await client.listPorts(new ListPortsRequest().withFixedIps(['ip_address=10.10.1.20']))).ports,
      );
      assert.deepEqual(
        byIp.map((p) => p.id),
        [nic.id],
      );
      const byIds = wire<PortView[]>((await client.listPorts(new ListPortsRequest().withId([vip.id]))).ports);
      assert.deepEqual(
        byIds.map((p) => p.id),
        [vip.id],
      );
      const byDevice = wire<PortView[]>(
        (await client.listPorts(new ListPortsRequest().withDeviceId(serverId))).ports,
      );
      assert.deepEqual(
        byDevice.map((p) => p.id),
        [nic.id],
      );
      const page = wire<PortView[]>(
        (await client.listPorts(new ListPortsRequest().withLimit(1).withMarker(nic.id))).ports,
      );
      assert.deepEqual(
        page.map((p) => p.id),
        [vip.id],
      );
    });

    test('lists route tables and finds the VPC default one with its subnet', async () => {
      const tables = wire<RouteTableListItem[]>(
        (await client.listRouteTables(new ListRouteTablesRequest().withVpcId(vpc.id))).routetables,
      );
      const defaults = tables.filter((t) => t.default);
      assert.equal(defaults.length, 1);
      const table = defaults[0];
      assert.ok(table);
      assert.equal(table.vpc_id, vpc.id);
      assert.equal(table.tenant_id, server.provider.projectId);
      assert.deepEqual(table.subnets, [{ id: subnet.id }]);

      const bySubnet = wire<RouteTableListItem[]>(
        (await client.listRouteTables(new ListRouteTablesRequest().withSubnetId(subnet.id))).routetables,
      );
      assert.deepEqual(
        bySubnet.map((t) => t.id),
        [table.id],
      );

      const shown = wire<RouteTableView>(
        (await client.showRouteTable(new ShowRouteTableRequest(table.id))).routetable,
      );
      assert.equal(shown.id, table.id);
      assert.equal(shown.default, true);
      assert.deepEqual(shown.routes, []);
      assert.deepEqual(shown.subnets, [{ id: subnet.id }]);
    });

    test('deletes ports, then the subnet, then the VPC', async () => {
      assert.equal((await client.deletePort(new DeletePortRequest(vip.id))).httpStatusCode, 204);
      assert.equal((await client.deletePort(new DeletePortRequest(nic.id))).httpStatusCode, 204);
      assert.equal(
        (await client.deleteSubnet(new DeleteSubnetRequest(vpc.id, subnet.id))).httpStatusCode,
        204,
      );
      assert.equal((await client.deleteVpc(new DeleteVpcRequest(vpc.id))).httpStatusCode, 204);
      assert.deepEqual((await client.listVpcs(new ListVpcsRequest())).vpcs, []);
      assert.deepEqual((await client.listRouteTables(new ListRouteTablesRequest())).routetables, []);
    });
  });
}
