// An endpoint create of an interface service with an automatic address, as one
// call (docs/performance.md, "Sixth pass"). Every statement of a create is a
// round trip on PostgreSQL, and from the quota row's lock to COMMIT the creates
// of one project wait for each other: as one function the create is one round
// trip and its locks are held only while the database runs it.
//
// It does what the create's TypeScript path (src/vpcep/endpoints/create.ts)
// does, in the same order and with the same statements: share-lock the service,
// read the VPC and the subnet, take the marker id, enqueue the create job, take a
// unit of quota, lock the subnet, place the port at the lowest free address,
// move free_from, insert the endpoint and its tags. What it leaves to the
// TypeScript path it answers 'elsewhere', having written nothing: a gateway
// service (its route tables), and another account's service whose whitelist
// holds patterns with '*' (matched there without backtracking).
//
// Answers: a JSON object whose `outcome` is 'created' (with service_name,
// marker_id, subnet_id, ip), or a refusal found before anything was written
// ('no-service', 'service-status' with `detail`, 'elsewhere', 'not-allowed', 'no-vpc',
// 'no-subnet', 'subnet-elsewhere'). A refusal found after a write
// raises, so the statement rolls back whole: SQLSTATE VPQ01 no quota left,
// VPS01 the subnet is gone, VPS02 the subnet has no free address (DETAIL: its
// CIDR as first read, which the API's message names).
//
// Versioned by name: a landed migration is never edited, so a later change
// adds create_interface_endpoint_v2 in a new migration and the code calls that.
// One statement means one statement_timeout for the whole create, lock waits
// included (the statement path gives each statement its own).
export const statements = [
  `CREATE FUNCTION create_interface_endpoint_v1(
     p_service_id TEXT, p_project_id TEXT, p_domain_id TEXT, p_domain_key TEXT, p_vpc_id TEXT,
     p_subnet_id TEXT,
     p_quota_default INTEGER, p_endpoint JSONB, p_port JSONB, p_job JSONB, p_tags JSONB)
   RETURNS JSONB
   LANGUAGE plpgsql
   AS $fn$
   DECLARE
     svc RECORD;
     given RECORD;
     sub RECORD;
     v_marker BIGINT;
     v_first BIGINT;
     v_last BIGINT;
     v_gateway BIGINT;
     v_from BIGINT;
     v_found BIGINT;
     v_ip TEXT;
   BEGIN
     SELECT id, domain_id, service_name, service_type, status, is_public INTO svc
       FROM endpoint_services WHERE id = p_service_id FOR SHARE;
     IF NOT FOUND THEN
       RETURN jsonb_build_object('outcome', 'no-service');
     END IF;
     IF svc.status <> 'available' THEN
       RETURN jsonb_build_object('outcome', 'service-status', 'detail', svc.status);
     END IF;
     IF svc.service_type = 'gateway' THEN
       RETURN jsonb_build_object('outcome', 'elsewhere');
     END IF;
     -- Another account's private service: its whitelist must hold '*' or name
     -- the caller's account: the prefix as written, the id in any letter case
     -- (p_domain_key: 'iam:domain::' and the id in lower case), as grantsDomain
     -- decides. Other patterns with '*' are matched by the TypeScript path,
     -- which matches them without backtracking.
     IF svc.is_public <> 1 AND svc.domain_id <> p_domain_id THEN
       PERFORM 1 FROM service_permissions
         WHERE service_id = svc.id AND permission_type = 'domainId'
           AND (permission = '*'
                OR (left(permission, 12) = 'iam:domain::' AND lower(permission) = p_domain_key));
       IF NOT FOUND THEN
         PERFORM 1 FROM service_permissions
           WHERE service_id = svc.id AND permission_type = 'domainId' AND permission LIKE '%*%';
         IF FOUND THEN
           RETURN jsonb_build_object('outcome', 'elsewhere');
         END IF;
         RETURN jsonb_build_object('outcome', 'not-allowed');
       END IF;
     END IF;

     PERFORM 1 FROM vpcs WHERE project_id = p_project_id AND id = p_vpc_id;
     IF NOT FOUND THEN
       RETURN jsonb_build_object('outcome', 'no-vpc');
     END IF;
     SELECT id, vpc_id, cidr INTO given FROM subnets
       WHERE project_id = p_project_id AND (id = p_subnet_id OR neutron_subnet_id = p_subnet_id)
       LIMIT 1;
     IF NOT FOUND THEN
       RETURN jsonb_build_object('outcome', 'no-subnet');
     END IF;
     IF given.vpc_id <> p_vpc_id THEN
       RETURN jsonb_build_object('outcome', 'subnet-elsewhere');
     END IF;

     v_marker := nextval('endpoint_marker_ids');
     INSERT INTO jobs (kind, resource_id, payload, run_at, attempts, max_attempts, locked_by,
                       locked_until, last_error, created_at)
       VALUES (p_job->>'kind', p_job->>'resource_id', p_job->>'payload', (p_job->>'run_at')::BIGINT,
               0, (p_job->>'max_attempts')::INTEGER, NULL, NULL, NULL, (p_job->>'created_at')::BIGINT);

     INSERT INTO resource_usage (project_id, type, used)
       SELECT p_project_id, 'endpoint', 1
       WHERE COALESCE((SELECT o.quota FROM quota_overrides o
                       WHERE o.project_id = p_project_id AND o.type = 'endpoint'), p_quota_default) > 0
       ON CONFLICT (project_id, type)
       DO UPDATE SET used = resource_usage.used + 1
       WHERE resource_usage.used < COALESCE((SELECT o.quota FROM quota_overrides o
                                             WHERE o.project_id = resource_usage.project_id
                                               AND o.type = resource_usage.type), p_quota_default);
     IF NOT FOUND THEN
       RAISE EXCEPTION 'no endpoint quota left' USING ERRCODE = 'VPQ01';
     END IF;

     -- The subnet as it is under its lock (an update may have moved its block
     -- or its gateway since the read above); each statement below takes a new
     -- snapshot, so the search sees every port its previous holder committed.
     UPDATE subnets SET updated_at = updated_at
       WHERE id = given.id AND project_id = p_project_id
       RETURNING id, project_id, vpc_id, cidr, gateway_ip, free_from INTO sub;
     IF NOT FOUND THEN
       RAISE EXCEPTION 'subnet gone' USING ERRCODE = 'VPS01';
     END IF;
     v_first := (network(sub.cidr::inet) - '0.0.0.0'::inet) + 1;
     v_last := (broadcast(sub.cidr::inet) - '0.0.0.0'::inet) - 1;
     v_gateway := CASE
       WHEN sub.gateway_ip ~ '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$'
         THEN sub.gateway_ip::inet - '0.0.0.0'::inet
       ELSE 0 END;
     v_from := GREATEST(v_first, COALESCE(sub.free_from, v_first));
     LOOP
       IF v_from = v_gateway THEN
         v_from := v_from + 1;
       END IF;
       IF v_from > v_last THEN
         RAISE EXCEPTION 'subnet full' USING ERRCODE = 'VPS02', DETAIL = given.cidr;
       END IF;
       v_found := CASE
         WHEN NOT EXISTS (SELECT 1 FROM ports WHERE network_id = sub.id AND ip_number = v_from)
           THEN v_from
         ELSE (SELECT p.ip_number + 1 FROM ports p
               WHERE p.network_id = sub.id AND p.ip_number >= v_from
                 AND NOT EXISTS (SELECT 1 FROM ports q
                                 WHERE q.network_id = sub.id AND q.ip_number = p.ip_number + 1)
               ORDER BY p.ip_number
               LIMIT 1)
       END;
       IF v_found <> v_gateway THEN
         IF v_found > v_last THEN
           RAISE EXCEPTION 'subnet full' USING ERRCODE = 'VPS02', DETAIL = given.cidr;
         END IF;
         EXIT;
       END IF;
       v_from := v_gateway + 1;
     END LOOP;

     v_ip := host('0.0.0.0'::inet + v_found);
     INSERT INTO ports (id, project_id, network_id, vpc_id, name, ip_address, ip_number,
                        mac_address, device_owner, device_id, status, created_at, updated_at)
       VALUES (p_port->>'id', sub.project_id, sub.id, sub.vpc_id, p_port->>'name', v_ip, v_found,
               p_port->>'mac_address', p_port->>'device_owner', p_port->>'device_id',
               p_port->>'status', (p_port->>'created_at')::BIGINT, (p_port->>'updated_at')::BIGINT);
     UPDATE subnets SET free_from = v_found + 1 WHERE id = sub.id;

     INSERT INTO endpoints (id, project_id, domain_id, service_id, service_type, vpc_id, subnet_id,
                            port_id, ip, ip_visible, marker_id, status, enable_dns, dns_names,
                            enable_whitelist, whitelist, routetables, description,
                            connection_description, policy_statement, policy_document,
                            specification_name, ip_version, ipv6_address, enable_status, error,
                            created_at, updated_at)
       SELECT e.id, e.project_id, e.domain_id, svc.id, svc.service_type, p_vpc_id, sub.id,
              p_port->>'id', v_ip, e.ip_visible, v_marker, e.status, e.enable_dns, e.dns_names,
              e.enable_whitelist, e.whitelist, e.routetables, e.description,
              e.connection_description, e.policy_statement, e.policy_document,
              e.specification_name, e.ip_version, e.ipv6_address, e.enable_status, e.error,
              e.created_at, e.updated_at
       FROM jsonb_populate_record(NULL::endpoints, p_endpoint) e;
     INSERT INTO resource_tags (resource_type, resource_id, project_id, key, value)
       SELECT 'endpoint', p_endpoint->>'id', p_project_id, t->>'key', t->>'value'
       FROM jsonb_array_elements(p_tags) t;

     RETURN jsonb_build_object('outcome', 'created', 'service_name', svc.service_name,
                               'marker_id', v_marker, 'subnet_id', sub.id, 'ip', v_ip);
   END
   $fn$`,
];
