import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Port, Subnet, Vpc } from '../../client/types.ts';
import { useConsole } from '../context.ts';
import { useAsync, type Async } from '../hooks.ts';
import { ListPage, ListTable } from '../list-view.tsx';
import { Confirm, Dialog, Problem, SelectField, TextField, useAction } from '../ui.tsx';

// The VPC inventory a service or an endpoint needs: VPCs, subnets and ports.

type Removal = { what: string; run: () => Promise<unknown> } | undefined;

function CreateDialog(props: {
  title: string;
  onClose: (done: boolean) => void;
  children: ComponentChildren;
  run: () => Promise<unknown>;
}) {
  const act = useAction();
  return (
    <Dialog title={props.title} onClose={() => props.onClose(false)}>
      <form
        method="post"
        onSubmit={(e) => {
          e.preventDefault();
          act.run(props.run, () => props.onClose(true));
        }}
      >
        {props.children}
        {act.error !== undefined && <Problem error={act.error} />}
        <div class="actions">
          <button type="button" onClick={() => props.onClose(false)}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={act.busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function VpcCreate(props: { onClose: (done: boolean) => void }) {
  const { client } = useConsole();
  const [name, setName] = useState('');
  const [cidr, setCidr] = useState('');
  return (
    <CreateDialog title="Create VPC" onClose={props.onClose} run={() => client.vpcs.create({ name, cidr })}>
      <TextField label="Name" value={name} onValue={setName} required />
      <TextField label="CIDR" value={cidr} onValue={setCidr} required placeholder="127.40.0.0/16" />
    </CreateDialog>
  );
}

function SubnetCreate(props: { vpcs: Vpc[]; onClose: (done: boolean) => void }) {
  const { client } = useConsole();
  const [vpcId, setVpcId] = useState(props.vpcs[0]?.id ?? '');
  const [name, setName] = useState('');
  const [cidr, setCidr] = useState('');
  const [gateway, setGateway] = useState('');
  return (
    <CreateDialog
      title="Create subnet"
      onClose={props.onClose}
      run={() =>
        client.subnets.create({
          vpc_id: vpcId,
          name,
          cidr,
          ...(gateway.trim() ? { gateway_ip: gateway.trim() } : {}),
        })
      }
    >
      <SelectField
        label="VPC"
        value={vpcId}
        onValue={setVpcId}
        required
        options={props.vpcs.map((v) => ({ value: v.id, label: `${v.name} (${v.cidr})` }))}
      />
      <TextField label="Name" value={name} onValue={setName} required />
      <TextField label="CIDR" value={cidr} onValue={setCidr} required placeholder="127.40.0.0/24" />
      <TextField
        label="Gateway IP"
        value={gateway}
        onValue={setGateway}
        hint="Optional: the first address when empty."
      />
    </CreateDialog>
  );
}

function PortCreate(props: { subnets: Subnet[]; onClose: (done: boolean) => void }) {
  const { client } = useConsole();
  const [subnetId, setSubnetId] = useState(props.subnets[0]?.id ?? '');
  const [ip, setIp] = useState('');
  const [name, setName] = useState('');
  return (
    <CreateDialog
      title="Create port"
      onClose={props.onClose}
      run={() =>
        client.ports.create({
          network_id: subnetId,
          device_owner: 'compute:az1',
          ...(name ? { name } : {}),
          ...(ip.trim() ? { fixed_ips: [{ ip_address: ip.trim() }] } : {}),
        })
      }
    >
      <SelectField
        label="Subnet"
        value={subnetId}
        onValue={setSubnetId}
        required
        options={props.subnets.map((s) => ({ value: s.id, label: `${s.name} (${s.cidr})` }))}
      />
      <TextField
        label="IP address"
        value={ip}
        onValue={setIp}
        hint="Optional: the next free address when empty."
      />
      <TextField label="Name" value={name} onValue={setName} />
    </CreateDialog>
  );
}

function Table<T extends { id: string }>(props: {
  title: string;
  create: string;
  onCreate: () => void;
  createDisabled?: boolean;
  data: Async<T[]>;
  headers: string[];
  cells: (t: T) => ComponentChildren[];
  empty: string;
  name: (t: T) => string;
  onRemove: (t: T) => void;
}) {
  const id = `inv-${props.title.toLowerCase()}`;
  return (
    <section aria-labelledby={id} class="panel">
      <div class="heading">
        <h2 id={id}>{props.title}</h2>
        <button type="button" onClick={props.onCreate} disabled={props.createDisabled}>
          {props.create}
        </button>
      </div>
      <ListTable
        columns={props.headers}
        actions
        data={props.data}
        empty={props.empty}
        row={(t) => (
          <tr key={t.id}>
            {props.cells(t).map((c, i) => (
              <td key={i}>{c}</td>
            ))}
            <td>
              <button
                type="button"
                class="link"
                aria-label={`Delete ${props.name(t)}`}
                onClick={() => props.onRemove(t)}
              >
                Delete
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

/**
 * `data` as a table shows it when its cells also read `names` (a subnet's VPC name): loading
 * until the names have come, so a row never shows a raw id for a name still on its way. If the
 * names fail, the rows show ids and the names' own table says why.
 */
function withNames<T>(data: Async<T>, names: Async<unknown>): Async<T> {
  return names.state === 'loading' && names.data === undefined
    ? { ...data, state: 'loading', data: undefined }
    : data;
}

export function InventoryPage() {
  const { client } = useConsole();
  const vpcs = useAsync(() => client.vpcs.listAll(), [client]);
  const subnets = useAsync(() => client.subnets.listAll(), [client]);
  const ports = useAsync(() => client.ports.listAll(), [client]);
  const [creating, setCreating] = useState<'vpc' | 'subnet' | 'port' | undefined>(undefined);
  const [removal, setRemoval] = useState<Removal>(undefined);
  const vpcName = new Map((vpcs.data ?? []).map((v) => [v.id, v.name]));
  const subnetOf = new Map((subnets.data ?? []).map((s) => [s.id, s]));
  const reloadAll = () => {
    vpcs.reload();
    subnets.reload();
    ports.reload();
  };
  const closed = (done: boolean) => {
    setCreating(undefined);
    if (done) reloadAll();
  };
  return (
    <ListPage titleId="inventory-title" title="VPCs">
      <Table<Vpc>
        title="VPCs"
        create="Create VPC"
        onCreate={() => setCreating('vpc')}
        data={vpcs}
        headers={['Name', 'CIDR', 'ID']}
        cells={(v) => [v.name, v.cidr, <span class="id">{v.id}</span>]}
        empty="No VPCs yet."
        name={(v) => `VPC ${v.name}`}
        onRemove={(v) => setRemoval({ what: `VPC ${v.name}`, run: () => client.vpcs.delete(v.id) })}
      />
      <Table<Subnet>
        title="Subnets"
        create="Create subnet"
        createDisabled={(vpcs.data ?? []).length === 0}
        onCreate={() => setCreating('subnet')}
        data={withNames(subnets, vpcs)}
        headers={['Name', 'CIDR', 'Gateway', 'VPC']}
        cells={(s) => [s.name, s.cidr, s.gateway_ip, vpcName.get(s.vpc_id) ?? s.vpc_id]}
        empty="No subnets yet."
        name={(s) => `subnet ${s.name}`}
        onRemove={(s) =>
          setRemoval({ what: `subnet ${s.name}`, run: () => client.subnets.delete(s.vpc_id, s.id) })
        }
      />
      <Table<Port>
        title="Ports"
        create="Create port"
        createDisabled={(subnets.data ?? []).length === 0}
        onCreate={() => setCreating('port')}
        data={withNames(ports, subnets)}
        headers={['IP address', 'Name', 'Owner', 'Subnet']}
        cells={(p) => [
          p.fixed_ips[0]?.ip_address ?? '',
          p.name,
          p.device_owner,
          subnetOf.get(p.network_id)?.name ?? p.network_id,
        ]}
        empty="No ports yet: an endpoint service needs a backend port."
        name={(p) => `port ${p.fixed_ips[0]?.ip_address ?? p.id}`}
        onRemove={(p) =>
          setRemoval({
            what: `port ${p.fixed_ips[0]?.ip_address ?? p.id}`,
            run: () => client.ports.delete(p.id),
          })
        }
      />
      {creating === 'vpc' && <VpcCreate onClose={closed} />}
      {creating === 'subnet' && <SubnetCreate vpcs={vpcs.data ?? []} onClose={closed} />}
      {creating === 'port' && <PortCreate subnets={subnets.data ?? []} onClose={closed} />}
      {removal && (
        <Confirm
          title={`Delete ${removal.what}`}
          action="Delete"
          run={removal.run}
          onClose={(done) => {
            setRemoval(undefined);
            if (done) reloadAll();
          }}
        >
          <p>Delete {removal.what}? This cannot be undone.</p>
        </Confirm>
      )}
    </ListPage>
  );
}
