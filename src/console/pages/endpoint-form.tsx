import { useState } from 'preact/hooks';
import type { EndpointCreate } from '../../client/types.ts';
import { useConsole } from '../context.ts';
import { useAsync } from '../hooks.ts';
import { href, navigate } from '../router.ts';
import { CheckField, Problem, SelectField, TextField, useAction } from '../ui.tsx';

/** Connect a VPC to a service: a public one from the list, or any service by id. */
export function EndpointFormPage(props: { service: string }) {
  const { client } = useConsole();
  const data = useAsync(async () => {
    const [publics, vpcs, subnets] = await Promise.all([
      client.publicServices.listAll(),
      client.vpcs.listAll(),
      client.subnets.listAll(),
    ]);
    return { publics, vpcs, subnets };
  }, [client]);
  const [serviceId, setServiceId] = useState(props.service);
  const [vpcId, setVpcId] = useState('');
  const [subnetId, setSubnetId] = useState('');
  const [ip, setIp] = useState('');
  const [dns, setDns] = useState(true);
  const [whitelistOn, setWhitelistOn] = useState(false);
  const [whitelist, setWhitelist] = useState('');
  const [description, setDescription] = useState('');
  const act = useAction();
  const d = data.data;
  const subnets = (d?.subnets ?? []).filter((s) => s.vpc_id === vpcId);

  const submit = (e: Event) => {
    e.preventDefault();
    const entries = whitelist
      .split(/[\s,]+/)
      .map((w) => w.trim())
      .filter((w) => w !== '');
    const body: EndpointCreate = {
      endpoint_service_id: serviceId.trim(),
      vpc_id: vpcId,
      ...(subnetId ? { subnet_id: subnetId } : {}),
      ...(ip.trim() ? { port_ip: ip.trim() } : {}),
      enable_dns: dns,
      ...(whitelistOn ? { enable_whitelist: true, whitelist: entries } : {}),
      ...(description ? { description } : {}),
    };
    let created = '';
    act.run(
      async () => {
        created = (await client.endpoints.create(body)).id;
      },
      () => navigate(href('endpoints', created)),
    );
  };

  return (
    <section aria-labelledby="endpoint-form-title">
      <div class="heading">
        <h1 id="endpoint-form-title">Create endpoint</h1>
      </div>
      {data.state === 'error' && <Problem error={data.error} retry={data.reload} />}
      <form class="form" method="post" onSubmit={submit}>
        <SelectField
          label="Public service"
          value={d?.publics.some((p) => p.id === serviceId) ? serviceId : ''}
          onValue={setServiceId}
          placeholder="None: give a service id below"
          options={(d?.publics ?? []).map((p) => ({ value: p.id, label: `${p.service_name} (${p.owner})` }))}
        />
        <TextField
          label="Service ID"
          value={serviceId}
          onValue={setServiceId}
          required
          hint="The provider gives you its service id; it must have whitelisted your account."
        />
        <SelectField
          label="VPC"
          value={vpcId}
          onValue={(v) => {
            setVpcId(v);
            setSubnetId('');
          }}
          required
          placeholder={data.state === 'loading' ? 'Loading…' : 'Choose a VPC'}
          options={(d?.vpcs ?? []).map((v) => ({ value: v.id, label: `${v.name} (${v.cidr})` }))}
        />
        <SelectField
          label="Subnet"
          value={subnetId}
          onValue={setSubnetId}
          placeholder={vpcId ? 'Choose a subnet (interface services)' : 'Choose a VPC first'}
          options={subnets.map((s) => ({ value: s.id, label: `${s.name} (${s.cidr})` }))}
        />
        <TextField
          label="IP address"
          value={ip}
          onValue={setIp}
          hint="Optional: the next free address of the subnet when empty."
        />
        <CheckField label="Create a private DNS name" checked={dns} onValue={setDns} />
        <CheckField label="Restrict clients to a whitelist" checked={whitelistOn} onValue={setWhitelistOn} />
        {whitelistOn && (
          <TextField
            label="Allowed clients"
            value={whitelist}
            onValue={setWhitelist}
            hint="Addresses or CIDR blocks, separated by commas or spaces."
          />
        )}
        <TextField label="Description" value={description} onValue={setDescription} maxLength={128} />
        {act.error !== undefined && <Problem error={act.error} />}
        <div class="actions">
          <a class="button" href={href('endpoints')}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={act.busy}>
            Create endpoint
          </button>
        </div>
      </form>
    </section>
  );
}
