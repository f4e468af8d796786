import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { PasswordField, Problem, TextField } from '../ui.tsx';
import { signIn, type Session } from '../session.ts';

/** Account, user name and password; the project defaults to the region's. */
export function SignInPage(props: { region: string; notice?: string; onSignedIn: (s: Session) => void }) {
  const [account, setAccount] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [project, setProject] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const first = useRef<HTMLDivElement>(null);
  // In the render that shows the form (useEffect would wait for the next frame): keys
  // typed as soon as the page appears land in the first field.
  useLayoutEffect(() => first.current?.querySelector('input')?.focus(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    performance.mark('vpcep:signin-submit');
    setBusy(true);
    setError(undefined);
    signIn({ account: account.trim(), user: user.trim(), password, project }, props.region).then(
      (session) => props.onSignedIn(session),
      (err: unknown) => {
        setBusy(false);
        setPassword('');
        setError(err);
      },
    );
  };

  return (
    <main class="signin" id="main">
      {/* method=post: were the script ever bypassed, the password would still not land in a URL. */}
      <form method="post" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand-large" aria-hidden="true">
          vpcep
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        {props.notice && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        <div ref={first}>
          <TextField
            label="Account"
            value={account}
            onValue={setAccount}
            required
            autocomplete="organization"
          />
        </div>
        <TextField label="User name" value={user} onValue={setUser} required autocomplete="username" />
        <PasswordField value={password} onValue={setPassword} />
        <TextField
          label="Project"
          value={project}
          onValue={setProject}
          placeholder={props.region}
          hint={`Optional: the project named after the region (${props.region || 'of this server'}) when empty.`}
          autocomplete="off"
        />
        {error !== undefined && <Problem error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
