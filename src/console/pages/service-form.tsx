import { useState } from 'preact/hooks';
import type { EndpointService, ServiceCreate, ServiceUpdate } from '../../client/types.ts';
import { useConsole } from '../context.ts';
import { Pending } from '../detail-view.tsx';
import { useAsync, type Async } from '../hooks.ts';
import { href, navigate } from '../router.ts';
import { CheckField, Problem, SelectField, TextField, useAction } from '../ui.tsx';

const TCP_PROXY = [
  { value: 'close', label: 'close: no client information' },
  { value: 'proxy_open', label: 'proxy_open: PROXY protocol v2' },
  { value: 'open', label: 'open: PROXY protocol v2 (and TOA)' },
  { value: 'proxy_vni', label: 'proxy_vni: PROXY v2 with the VPC network id' },
  { value: 'toa_open', label: 'toa_open: TCP option (not sent by vpcep)' },
];
const PROTOCOLS = [
  { value: 'TCP', label: 'TCP' },
  { value: 'UDP', label: 'UDP' },
];

interface Mapping {
  client: string;
  server: string;
  protocol: string;
}
interface Tag {
  key: string;
  value: string;
}

function MappingRows(props: { rows: Mapping[]; onRows: (rows: Mapping[]) => void }) {
  const set = (i: number, patch: Partial<Mapping>) =>
    props.onRows(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Port mappings</legend>
      {props.rows.map((r, i) => (
        <div class="row" key={i}>
          <TextField
            label={`Client port ${i + 1}`}
            inputMode="numeric"
            value={r.client}
            onValue={(v) => set(i, { client: v })}
            required
          />
          <TextField
            label={`Server port ${i + 1}`}
            inputMode="numeric"
            value={r.server}
            onValue={(v) => set(i, { server: v })}
            required
          />
          <SelectField
            label={`Protocol ${i + 1}`}
            value={r.protocol}
            onValue={(v) => set(i, { protocol: v })}
            options={PROTOCOLS}
          />
          <button
            type="button"
            class="link"
            disabled={props.rows.length === 1}
            onClick={() => props.onRows(props.rows.filter((_, j) => j !== i))}
          >
            Remove mapping {i + 1}
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() => props.onRows([...props.rows, { client: '', server: '', protocol: 'TCP' }])}
      >
        Add mapping
      </button>
    </fieldset>
  );
}

function TagRows(props: { rows: Tag[]; onRows: (rows: Tag[]) => void }) {
  const set = (i: number, patch: Partial<Tag>) =>
    props.onRows(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset>
      <legend>Tags</legend>
      {props.rows.map((r, i) => (
        <div class="row" key={i}>
          <TextField label={`Tag key ${i + 1}`} value={r.key} onValue={(v) => set(i, { key: v })} />
          <TextField label={`Tag value ${i + 1}`} value={r.value} onValue={(v) => set(i, { value: v })} />
          <button
            type="button"
            class="link"
            onClick={() => props.onRows(props.rows.filter((_, j) => j !== i))}
          >
            Remove tag {i + 1}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => props.onRows([...props.rows, { key: '', value: '' }])}>
        Add tag
      </button>
    </fieldset>
  );
}

/** Numbers as typed: a non-number goes to the API as is, which answers its documented code. */
function portNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

type Inventory = Awaited<ReturnType<typeof loadInventory>>;

function loadInventory(client: ReturnType<typeof useConsole>['client']) {
  return Promise.all([client.vpcs.listAll(), client.subnets.listAll(), client.ports.listAll()]).then(
    ([vpcs, subnets, ports]) => ({ vpcs, subnets, ports }),
  );
}

/**
 * Create a service (no id) or edit one. An edit form appears only once the service and the
 * VPC inventory have both loaded, filled from the service in its first render: a form shown
 * earlier would show defaults a user could start typing over, then replace them.
 */
export function ServiceFormPage(props: { id?: string }) {
  const { client } = useConsole();
  const { id } = props;
  const inventory = useAsync(() => loadInventory(client), [client]);
  const existing = useAsync(
    async () => (id === undefined ? undefined : client.services.get(id)),
    [client, id],
  );
  if (id !== undefined && (existing.data === undefined || inventory.data === undefined)) {
    return (
      <section aria-labelledby="service-form-title">
        <div class="heading">
          <h1 id="service-form-title">Edit endpoint service</h1>
        </div>
        <Pending data={existing.state === 'error' ? existing : inventory} />
      </section>
    );
  }
  return <ServiceForm id={id} existing={existing.data} inventory={inventory} />;
}

function ServiceForm(props: {
  id: string | undefined;
  existing: EndpointService | undefined;
  inventory: Async<Inventory>;
}) {
  const { client } = useConsole();
  const { existing, inventory } = props;
  const editing = props.id !== undefined;
  const [vpcId, setVpcId] = useState(existing?.vpc_id ?? '');
  const [portId, setPortId] = useState(existing?.port_id ?? '');
  const [name, setName] = useState(existing?.service_name.split('.')[1] ?? '');
  const [mappings, setMappings] = useState<Mapping[]>(
    existing?.ports.map((p) => ({
      client: String(p.client_port),
      server: String(p.server_port),
      protocol: p.protocol,
    })) ?? [{ client: '8080', server: '80', protocol: 'TCP' }],
  );
  const [approval, setApproval] = useState(existing?.approval_enabled ?? true);
  const [tcpProxy, setTcpProxy] = useState(existing?.tcp_proxy ?? 'close');
  const [description, setDescription] = useState(existing?.description ?? '');
  const [tags, setTags] = useState<Tag[]>([]);
  const action = useAction();

  const inv = inventory.data;
  const subnetsOfVpc = new Set((inv?.subnets ?? []).filter((s) => s.vpc_id === vpcId).map((s) => s.id));
  // Endpoint ports (network:vpcep) cannot back a service.
  const ports = (inv?.ports ?? []).filter(
    (p) => subnetsOfVpc.has(p.network_id) && p.device_owner !== 'network:vpcep',
  );

  const submit = (e: Event) => {
    e.preventDefault();
    const portsBody = mappings.map((m) => ({
      client_port: portNumber(m.client),
      server_port: portNumber(m.server),
      protocol: m.protocol,
    }));
    if (editing && props.id !== undefined) {
      const id = props.id;
      // What PUT may change: the VPC never can, so it is not sent; the backend
      // port only when another one of the same VPC was chosen.
      const body: ServiceUpdate = {
        approval_enabled: approval,
        ports: portsBody,
        tcp_proxy: tcpProxy as ServiceUpdate['tcp_proxy'],
        description,
        ...(name.trim() ? { service_name: name.trim() } : {}),
        ...(portId !== existing?.port_id ? { port_id: portId } : {}),
      };
      action.run(
        () => client.services.update(id, body),
        () => navigate(href('services', id)),
      );
      return;
    }
    const body: ServiceCreate = {
      vpc_id: vpcId,
      port_id: portId,
      server_type: 'VM',
      service_type: 'interface',
      ports: portsBody,
      approval_enabled: approval,
      tcp_proxy: tcpProxy as ServiceCreate['tcp_proxy'],
      ...(name.trim() ? { service_name: name.trim() } : {}),
      ...(description ? { description } : {}),
      ...(tags.length > 0 ? { tags: tags.map((t) => ({ key: t.key, value: t.value })) } : {}),
    };
    let created = '';
    action.run(
      async () => {
        created = (await client.services.create(body)).id;
      },
      () => navigate(href('services', created)),
    );
  };

  const title = editing ? 'Edit endpoint service' : 'Create endpoint service';
  return (
    <section aria-labelledby="service-form-title">
      <div class="heading">
        <h1 id="service-form-title">{title}</h1>
      </div>
      {inventory.state === 'error' && <Problem error={inventory.error} retry={inventory.reload} />}
      <form class="form" method="post" onSubmit={submit}>
        <SelectField
          label="VPC"
          value={vpcId}
          onValue={(v) => {
            setVpcId(v);
            setPortId('');
          }}
          required
          disabled={editing}
          hint={editing ? 'A service stays in the VPC it was created in.' : undefined}
          placeholder={inventory.state === 'loading' ? 'Loading…' : 'Choose a VPC'}
          options={(inv?.vpcs ?? []).map((v) => ({ value: v.id, label: `${v.name} (${v.cidr})` }))}
        />
        <SelectField
          label="Backend port"
          value={portId}
          onValue={setPortId}
          required
          hint={editing ? 'Another port of the same VPC may take over.' : undefined}
          placeholder={
            vpcId
              ? ports.length
                ? 'Choose a port'
                : 'This VPC has no port: create one under VPCs'
              : 'Choose a VPC first'
          }
          options={ports.map((p) => ({
            value: p.id,
            label: `${p.fixed_ips[0]?.ip_address ?? '?'} ${p.name || p.device_owner}`,
          }))}
        />
        <TextField
          label="Service name"
          value={name}
          onValue={setName}
          hint="Optional: the custom part of the full name."
        />
        <MappingRows rows={mappings} onRows={setMappings} />
        <CheckField label="Connections need my approval" checked={approval} onValue={setApproval} />
        <SelectField
          label="Client information (tcp_proxy)"
          value={tcpProxy}
          onValue={setTcpProxy}
          options={TCP_PROXY}
        />
        <TextField label="Description" value={description} onValue={setDescription} maxLength={128} />
        {!editing && <TagRows rows={tags} onRows={setTags} />}
        {action.error !== undefined && <Problem error={action.error} />}
        <div class="actions">
          <a class="button" href={editing && props.id ? href('services', props.id) : href('services')}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={action.busy}>
            {editing ? 'Save changes' : 'Create service'}
          </button>
        </div>
      </form>
    </section>
  );
}
