import { useState } from 'preact/hooks';
import { useConsole } from './context.ts';
import { useAsync } from './hooks.ts';
import { signIn, type Session } from './session.ts';
import { Dialog, PasswordField, Problem, useFieldId } from './ui.tsx';

/**
 * The account's projects (GET /v3/auth/projects), each shown with its region as
 * the cloud's console has it: a project belongs to one region (named after it,
 * or `region_sub` for a sub-project). A vpcep server serves one region, so every
 * project it lists is in that region (the token catalog's). A token is scoped to
 * one project, so switching signs in again to the chosen one, which brings that
 * project's region with it: the console asks for the password once more rather
 * than keep it.
 */
export function ProjectPicker(props: { region: string; onSwitched: (s: Session) => void }) {
  const { client, session } = useConsole();
  const projects = useAsync(() => client.identity.authProjects(), [client]);
  const [target, setTarget] = useState<{ id: string; name: string } | undefined>(undefined);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const id = useFieldId('project');
  const place = (name: string) => `${props.region} / ${name}`;
  const list = projects.data ?? [
    { id: session.projectId, name: session.projectName, domain_id: '', enabled: true },
  ];
  const close = () => {
    setTarget(undefined);
    setPassword('');
    setError(undefined);
  };
  return (
    <span class="picker">
      <label for={id}>Region / project</label>
      <select
        id={id}
        value={session.projectId}
        onChange={(e) => {
          const chosen = list.find((p) => p.id === e.currentTarget.value);
          e.currentTarget.value = session.projectId;
          if (chosen && chosen.id !== session.projectId) setTarget({ id: chosen.id, name: chosen.name });
        }}
      >
        {list.map((p) => (
          <option key={p.id} value={p.id}>
            {place(p.name)}
          </option>
        ))}
      </select>
      {target && (
        <Dialog title={`Switch to ${place(target.name)}`} onClose={close}>
          <form
            method="post"
            onSubmit={(e) => {
              e.preventDefault();
              setBusy(true);
              signIn(
                {
                  account: session.domainName,
                  user: session.userName,
                  password,
                  project: '',
                  projectId: target.id,
                },
                session.region,
              ).then(
                (s) => {
                  setBusy(false);
                  close();
                  props.onSwitched(s);
                },
                (err: unknown) => {
                  setBusy(false);
                  setPassword('');
                  setError(err);
                },
              );
            }}
          >
            <p>
              A token is scoped to one project: enter your password to sign in to project {target.name} in
              region {props.region}.
            </p>
            <PasswordField value={password} onValue={setPassword} />
            {error !== undefined && <Problem error={error} />}
            <div class="actions">
              <button type="button" onClick={close}>
                Cancel
              </button>
              <button type="submit" class="primary" disabled={busy}>
                Switch project
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </span>
  );
}
