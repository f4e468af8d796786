import { Type } from 'typebox';
import { hostRangesOf } from '../../vpc/host-ranges.ts';
import { VpcService } from '../../vpc/service.ts';
import {
  CreatePortBody,
  CreateSubnetBody,
  CreateVpcBody,
  ListPortsQuery,
  ListRouteTablesQuery,
  ListSubnetsQuery,
  ListVpcsQuery,
  PortParams,
  PortView,
  ProjectParams,
  RouteTableListItem,
  RouteTableParams,
  RouteTableView,
  SubnetParams,
  SubnetUpdateResult,
  SubnetView,
  UpdateSubnetBody,
  UpdateVpcBody,
  VpcParams,
  VpcSubnetParams,
  VpcView,
} from '../../vpc/schemas.ts';
import type { AppServices } from '../app.ts';
import { ctxOf, type App } from '../types.ts';

// The VPC API v1 subset, at the paths the official SDK's VpcClient calls. The
// cloud answers creates with 200 (not 201) and deletes with 204; so do we.

const vpcOne = { 200: Type.Object({ vpc: VpcView }) };
const vpcMany = { 200: Type.Object({ vpcs: Type.Array(VpcView) }) };
const subnetOne = { 200: Type.Object({ subnet: SubnetView }) };
const subnetMany = { 200: Type.Object({ subnets: Type.Array(SubnetView) }) };
const subnetUpdated = { 200: Type.Object({ subnet: SubnetUpdateResult }) };
const portOne = { 200: Type.Object({ port: PortView }) };
const portMany = { 200: Type.Object({ ports: Type.Array(PortView) }) };
const routeTableOne = { 200: Type.Object({ routetable: RouteTableView }) };
const routeTableMany = { 200: Type.Object({ routetables: Type.Array(RouteTableListItem) }) };
const noContent = { 204: Type.Null() };

export function registerVpcRoutes(app: App, services: AppServices): void {
  const vpcs = new VpcService(services.store.db, services.clock, hostRangesOf(services.config.dataplane));
  const tags = ['vpc'];

  // ---- VPCs ------------------------------------------------------------------------

  app.post(
    '/v1/:project_id/vpcs',
    {
      config: { action: 'vpc:vpcs:create' },
      schema: { tags, summary: 'Create a VPC', params: ProjectParams, body: CreateVpcBody, response: vpcOne },
    },
    async (request) => ({ vpc: await vpcs.createVpc(ctxOf(request), request.body.vpc) }),
  );

  app.get(
    '/v1/:project_id/vpcs',
    {
      config: { action: 'vpc:vpcs:list' },
      schema: {
        tags,
        summary: 'List VPCs',
        params: ProjectParams,
        querystring: ListVpcsQuery,
        response: vpcMany,
      },
    },
    async (request) => ({ vpcs: await vpcs.listVpcs(ctxOf(request), request.query) }),
  );

  app.get(
    '/v1/:project_id/vpcs/:vpc_id',
    {
      config: { action: 'vpc:vpcs:get' },
      schema: { tags, summary: 'Show a VPC', params: VpcParams, response: vpcOne },
    },
    async (request) => ({ vpc: await vpcs.showVpc(ctxOf(request), request.params.vpc_id) }),
  );

  app.put(
    '/v1/:project_id/vpcs/:vpc_id',
    {
      config: { action: 'vpc:vpcs:update' },
      schema: { tags, summary: 'Update a VPC', params: VpcParams, body: UpdateVpcBody, response: vpcOne },
    },
    async (request) => ({
      vpc: await vpcs.updateVpc(ctxOf(request), request.params.vpc_id, request.body.vpc),
    }),
  );

  app.delete(
    '/v1/:project_id/vpcs/:vpc_id',
    {
      config: { action: 'vpc:vpcs:delete' },
      schema: { tags, summary: 'Delete a VPC without subnets', params: VpcParams, response: noContent },
    },
    async (request, reply) => {
      await vpcs.deleteVpc(ctxOf(request), request.params.vpc_id);
      return reply.code(204).send(null);
    },
  );

  // ---- Subnets ---------------------------------------------------------------------

  app.post(
    '/v1/:project_id/subnets',
    {
      config: { action: 'vpc:subnets:create' },
      schema: {
        tags,
        summary: 'Create a subnet',
        params: ProjectParams,
        body: CreateSubnetBody,
        response: subnetOne,
      },
    },
    async (request) => ({ subnet: await vpcs.createSubnet(ctxOf(request), request.body.subnet) }),
  );

  app.get(
    '/v1/:project_id/subnets',
    {
      config: { action: 'vpc:subnets:get' },
      schema: {
        tags,
        summary: 'List subnets',
        params: ProjectParams,
        querystring: ListSubnetsQuery,
        response: subnetMany,
      },
    },
    async (request) => ({ subnets: await vpcs.listSubnets(ctxOf(request), request.query) }),
  );

  app.get(
    '/v1/:project_id/subnets/:subnet_id',
    {
      config: { action: 'vpc:subnets:get' },
      schema: { tags, summary: 'Show a subnet', params: SubnetParams, response: subnetOne },
    },
    async (request) => ({ subnet: await vpcs.showSubnet(ctxOf(request), request.params.subnet_id) }),
  );

  app.put(
    '/v1/:project_id/vpcs/:vpc_id/subnets/:subnet_id',
    {
      config: { action: 'vpc:subnets:update' },
      schema: {
        tags,
        summary: 'Update a subnet (name, description, DHCP and DNS)',
        params: VpcSubnetParams,
        body: UpdateSubnetBody,
        response: subnetUpdated,
      },
    },
    async (request) => {
      const { vpc_id, subnet_id } = request.params;
      return { subnet: await vpcs.updateSubnet(ctxOf(request), vpc_id, subnet_id, request.body.subnet) };
    },
  );

  app.delete(
    '/v1/:project_id/vpcs/:vpc_id/subnets/:subnet_id',
    {
      config: { action: 'vpc:subnets:delete' },
      schema: {
        tags,
        summary: 'Delete a subnet without ports',
        params: VpcSubnetParams,
        response: noContent,
      },
    },
    async (request, reply) => {
      await vpcs.deleteSubnet(ctxOf(request), request.params.vpc_id, request.params.subnet_id);
      return reply.code(204).send(null);
    },
  );

  // ---- Ports -----------------------------------------------------------------------

  app.post(
    '/v1/:project_id/ports',
    {
      config: { action: 'vpc:ports:create' },
      schema: {
        tags,
        summary: 'Create a port',
        params: ProjectParams,
        body: CreatePortBody,
        response: portOne,
      },
    },
    async (request) => ({ port: await vpcs.createPort(ctxOf(request), request.body.port) }),
  );

  app.get(
    '/v1/:project_id/ports',
    {
      config: { action: 'vpc:ports:get' },
      schema: {
        tags,
        summary: 'List ports',
        params: ProjectParams,
        querystring: ListPortsQuery,
        response: portMany,
      },
    },
    async (request) => ({ ports: await vpcs.listPorts(ctxOf(request), request.query) }),
  );

  app.get(
    '/v1/:project_id/ports/:port_id',
    {
      config: { action: 'vpc:ports:get' },
      schema: { tags, summary: 'Show a port', params: PortParams, response: portOne },
    },
    async (request) => ({ port: await vpcs.showPort(ctxOf(request), request.params.port_id) }),
  );

  app.delete(
    '/v1/:project_id/ports/:port_id',
    {
      config: { action: 'vpc:ports:delete' },
      schema: { tags, summary: 'Delete a port', params: PortParams, response: noContent },
    },
    async (request, reply) => {
      await vpcs.deletePort(ctxOf(request), request.params.port_id);
      return reply.code(204).send(null);
    },
  );

  // ---- Route tables ----------------------------------------------------------------

  app.get(
    '/v1/:project_id/routetables',
    {
      config: { action: 'vpc:routeTables:list' },
      schema: {
        tags,
        summary: 'List route tables',
        params: ProjectParams,
        querystring: ListRouteTablesQuery,
        response: routeTableMany,
      },
    },
    async (request) => ({ routetables: await vpcs.listRouteTables(ctxOf(request), request.query) }),
  );

  app.get(
    '/v1/:project_id/routetables/:routetable_id',
    {
      config: { action: 'vpc:routeTables:get' },
      schema: {
        tags,
        summary: 'Show a route table',
        params: RouteTableParams,
        response: routeTableOne,
      },
    },
    async (request) => ({
      routetable: await vpcs.showRouteTable(ctxOf(request), request.params.routetable_id),
    }),
  );
}
