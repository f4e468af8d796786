import { useEffect, useState } from 'preact/hooks';
import type { Connection, EndpointService } from '../../client/types.ts';
import { useConsole } from '../context.ts';
import { DetailPage, Pending } from '../detail-view.tsx';
import { transient, useAsync, usePoll, useRemoval } from '../hooks.ts';
import { AddForm, ListTable, usePagedList } from '../list-view.tsx';
import { href, navigate } from '../router.ts';
import { Facts, Problem, Status, Tabs, TextField, useAction, useFieldId, when } from '../ui.tsx';

type Tab = 'connections' | 'whitelist' | 'tags';
const TABS: readonly { key: Tab; label: string }[] = [
  { key: 'connections', label: 'Connections' },
  { key: 'whitelist', label: 'Whitelist' },
  { key: 'tags', label: 'Tags' },
];

/** The API's limit of a connection's description (longer than other descriptions). */
const NOTE_MAX = 512;

/**
 * The provider's description of one connection (PUT …/connections/description),
 * edited in place. What was typed and not saved survives the list's refreshes;
 * a change saved elsewhere replaces the field only while it holds no edit.
 */
function ConnectionNote(props: { serviceId: string; connection: Connection; onSaved: () => void }) {
  const { client } = useConsole();
  const { connection } = props;
  const [draft, setDraft] = useState(connection.description);
  const [base, setBase] = useState(connection.description);
  const [saved, setSaved] = useState(false);
  const act = useAction();
  useEffect(() => {
    setDraft((d) => (d === base ? connection.description : d));
    setBase(connection.description);
  }, [connection.description]);
  const id = useFieldId('note');
  return (
    <form
      class="note"
      method="post"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        act.run(
          () => client.connections.describe(props.serviceId, [{ id: connection.id, description: draft }]),
          () => {
            setSaved(true);
            props.onSaved();
          },
        );
      }}
    >
      <label class="sr-only" for={id}>
        Description of endpoint {connection.id}
      </label>
      <input
        id={id}
        type="text"
        maxLength={NOTE_MAX}
        value={draft}
        onInput={(e) => {
          setSaved(false);
          setDraft(e.currentTarget.value);
        }}
      />
      <button type="submit" disabled={act.busy}>
        Save
      </button>
      {saved && (
        <span role="status" class="muted small">
          Saved
        </span>
      )}
      {act.error !== undefined && <Problem error={act.error} />}
    </form>
  );
}

function Connections({ service, paused }: { service: EndpointService; paused: boolean }) {
  const { client } = useConsole();
  const { rows, pager } = usePagedList(
    (window) => client.connections.list(service.id, window),
    [client, service.id],
  );
  const act = useAction();
  // New connections arrive from other accounts: the list refreshes while it is open.
  usePoll(rows.reload, !paused, 2000);
  const decide = (endpointId: string, accept: boolean) =>
    act.run(
      () =>
        accept
          ? client.connections.accept(service.id, endpointId)
          : client.connections.reject(service.id, endpointId),
      rows.reload,
    );
  return (
    <>
      {act.error !== undefined && <Problem error={act.error} />}
      <p class="muted small">
        Description: your own note on each connection, kept with this service (the API does not show the
        consumer's description of its endpoint here).
      </p>
      <ListTable
        caption="Endpoints connected to this service"
        columns={['Endpoint', 'Status', 'Account', 'Description', 'Created', 'Decision']}
        data={rows}
        empty="No endpoint has connected yet. Accounts on the whitelist can create endpoints to this service."
        row={(c) => (
          <tr key={c.id} data-endpoint={c.id}>
            <td>
              <span class="id">{c.id}</span>
              <div class="muted">marker {c.marker_id}</div>
            </td>
            <td>
              <Status status={c.status} />
            </td>
            <td class="id">{c.domain_id}</td>
            <td>
              <ConnectionNote serviceId={service.id} connection={c} onSaved={rows.reload} />
            </td>
            <td>{when(c.created_at)}</td>
            <td class="buttons">
              {(c.status === 'pendingAcceptance' || c.status === 'rejected') && (
                <button type="button" class="primary" disabled={act.busy} onClick={() => decide(c.id, true)}>
                  Accept
                </button>
              )}
              {(c.status === 'pendingAcceptance' || c.status === 'accepted') && (
                <button type="button" class="danger" disabled={act.busy} onClick={() => decide(c.id, false)}>
                  Reject
                </button>
              )}
            </td>
          </tr>
        )}
        pager={pager}
      />
    </>
  );
}

/** `*`, a full record, or a bare account id (made `iam:domain::ID`). */
function permissionOf(input: string): string {
  const v = input.trim();
  return v === '*' || v.startsWith('iam:') || v.startsWith('organizations:') ? v : `iam:domain::${v}`;
}

function Whitelist({ service }: { service: EndpointService }) {
  const { client } = useConsole();
  const list = useAsync(() => client.permissions.listAll(service.id), [client, service.id]);
  const [account, setAccount] = useState('');
  const act = useAction();
  return (
    <>
      <AddForm
        act={act}
        submit="Add to whitelist"
        run={() => client.permissions.add(service.id, [permissionOf(account)])}
        done={() => {
          setAccount('');
          list.reload();
        }}
      >
        <TextField
          label="Account ID"
          value={account}
          onValue={setAccount}
          required
          hint="An account (domain) id, or * for every account."
        />
      </AddForm>
      <ListTable
        caption="Accounts allowed to connect"
        columns={['Permission', 'Added']}
        actions
        data={list}
        empty="Only this account may connect. Add accounts to let them create endpoints."
        row={(p) => (
          <tr key={p.id}>
            <td class="id">{p.permission}</td>
            <td>{when(p.created_at)}</td>
            <td>
              <button
                type="button"
                class="link"
                aria-label={`Remove ${p.permission}`}
                onClick={() =>
                  act.run(() => client.permissions.remove(service.id, [p.permission]), list.reload)
                }
              >
                Remove
              </button>
            </td>
          </tr>
        )}
      />
    </>
  );
}

export function TagsEditor(props: {
  type: 'endpoint_service' | 'endpoint';
  id: string;
  tags: readonly { key: string; value: string }[];
  onChanged: () => void;
}) {
  const { client } = useConsole();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const act = useAction();
  return (
    <>
      <AddForm
        act={act}
        submit="Add tag"
        run={() => client.tags.add(props.type, props.id, [{ key: key.trim(), value }])}
        done={() => {
          setKey('');
          setValue('');
          props.onChanged();
        }}
      >
        <TextField label="Key" value={key} onValue={setKey} required />
        <TextField label="Value" value={value} onValue={setValue} />
      </AddForm>
      {props.tags.length === 0 ? (
        <p class="muted">No tags.</p>
      ) : (
        <ul class="tags">
          {props.tags.map((t) => (
            <li key={t.key}>
              <span class="tag">
                {t.key}
                {t.value ? `=${t.value}` : ''}
              </span>
              <button
                type="button"
                class="link"
                aria-label={`Remove tag ${t.key}`}
                onClick={() =>
                  act.run(() => client.tags.remove(props.type, props.id, [{ key: t.key }]), props.onChanged)
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function ServiceDetailPage(props: { id: string; tab: string | undefined }) {
  const { client } = useConsole();
  const service = useAsync(() => client.services.get(props.id), [client, props.id]);
  const tab: Tab = TABS.some((t) => t.key === props.tab) ? (props.tab as Tab) : 'connections';
  const removal = useRemoval(() => client.services.delete(props.id));
  const s = service.data;
  usePoll(service.reload, s !== undefined && transient(s.status) && !removal.removing);

  if (!s) return <Pending data={service} />;
  return (
    <DetailPage
      back={{ label: 'Endpoint services', href: href('services') }}
      titleId="service-title"
      title={s.service_name}
      status={s.status}
      data={service}
      actions={
        <a class="button" href={href('services', s.id, 'edit')}>
          Edit
        </a>
      }
      remove={{
        title: 'Delete endpoint service',
        action: 'Delete service',
        run: removal.run,
        question: (
          <p>
            Delete <b>{s.service_name}</b>? Endpoints connected to it stop carrying traffic. This cannot be
            undone.
          </p>
        ),
      }}
    >
      <Facts
        items={[
          ['ID', <span class="id">{s.id}</span>],
          ['Type', s.service_type],
          ['VPC', <span class="id">{s.vpc_id}</span>],
          ['Backend port', <span class="id">{s.port_id}</span>],
          ['Port mappings', s.ports.map((p) => `${p.client_port}→${p.server_port}/${p.protocol}`).join(', ')],
          ['Approval', s.approval_enabled ? 'Required' : 'Automatic'],
          ['Client information', s.tcp_proxy],
          ['Connections', String(s.connection_count)],
          ['Description', s.description],
          ['Created', when(s.created_at)],
        ]}
      />
      <Tabs
        label="Service details"
        tabs={TABS}
        active={tab}
        onSelect={(k) => navigate(href('services', s.id, k))}
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
        {tab === 'connections' && <Connections service={s} paused={removal.removing} />}
        {tab === 'whitelist' && <Whitelist service={s} />}
        {tab === 'tags' && (
          <TagsEditor type="endpoint_service" id={s.id} tags={s.tags} onChanged={service.reload} />
        )}
      </div>
    </DetailPage>
  );
}
