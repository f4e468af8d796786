// Rows of the VPCEP tables (see schema.ts for the conventions: integer ms times,
// 0/1 flags, JSON text for structured values).

export interface EndpointServicesTable {
  id: string;
  project_id: string;
  domain_id: string;
  /** The name part the owner chose ('' when none): `{region}.{name}.{id}` is composed from it. */
  name: string;
  /** The full composed name clients see as `service_name`. */
  service_name: string;
  port_id: string;
  vip_port_id: string | null;
  vpc_id: string;
  pool_id: string | null;
  server_type: string;
  service_type: string;
  approval_enabled: number;
  status: string;
  tcp_proxy: string;
  description: string;
  ip: string | null;
  ip_version: string | null;
  snat_network_id: string | null;
  cidr_type: string | null;
  enable_policy: number;
  /** 1 for operator-defined public services (listed by /public to every tenant). */
  is_public: number;
  owner: string | null;
  is_charge: number;
  /** JSON array of {error_code, error_message}. */
  error: string;
  created_at: number;
  updated_at: number;
}

/** One row per port mapping; the unique keys make conflicts impossible even under races. */
export interface ServicePortsTable {
  service_id: string;
  port_id: string;
  client_port: number;
  server_port: number;
  protocol: string;
  position: number;
}

export interface EndpointsTable {
  id: string;
  project_id: string;
  domain_id: string;
  service_id: string;
  service_type: string;
  vpc_id: string;
  subnet_id: string | null;
  /** The VPC inventory port holding the endpoint's address (interface endpoints). */
  port_id: string | null;
  ip: string | null;
  /** 1 once the endpoint has been accepted: from then on `ip` is shown, even if rejected later. */
  ip_visible: number;
  marker_id: number;
  status: string;
  enable_dns: number;
  dns_names: string;
  enable_whitelist: number;
  whitelist: string;
  routetables: string;
  description: string;
  connection_description: string;
  policy_statement: string;
  policy_document: string | null;
  specification_name: string;
  ip_version: string | null;
  ipv6_address: string | null;
  enable_status: string;
  error: string;
  created_at: number;
  updated_at: number;
}

export interface ServicePermissionsTable {
  id: string;
  service_id: string;
  permission: string;
  permission_type: string;
  description: string;
  created_at: number;
}

export interface ResourceTagsTable {
  resource_type: string;
  resource_id: string;
  project_id: string;
  key: string;
  value: string;
}

/** Resources in use per project and type: quota checks and unfiltered total_count read it. */
export interface ResourceUsageTable {
  project_id: string;
  type: string;
  used: number;
}

/** Per-project quota set by the operator; absent rows fall back to the configuration. */
export interface QuotaOverridesTable {
  project_id: string;
  type: string;
  quota: number;
}

export interface CountersTable {
  name: string;
  value: number;
}

export interface VpcepTables {
  endpoint_services: EndpointServicesTable;
  service_ports: ServicePortsTable;
  endpoints: EndpointsTable;
  service_permissions: ServicePermissionsTable;
  resource_tags: ResourceTagsTable;
  resource_usage: ResourceUsageTable;
  quota_overrides: QuotaOverridesTable;
  counters: CountersTable;
}
