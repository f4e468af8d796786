import { useMemo, useState } from 'preact/hooks';
import { Console } from './context.ts';
import { useAsync } from './hooks.ts';
import { EndpointDetailPage } from './pages/endpoint-detail.tsx';
import { EndpointFormPage } from './pages/endpoint-form.tsx';
import { EndpointsPage } from './pages/endpoints.tsx';
import { InventoryPage } from './pages/inventory.tsx';
import { PublicServicesPage } from './pages/public-services.tsx';
import { QuotasPage } from './pages/quotas.tsx';
import { ServiceDetailPage } from './pages/service-detail.tsx';
import { ServiceFormPage } from './pages/service-form.tsx';
import { ServicesPage } from './pages/services.tsx';
import { SignInPage } from './pages/signin.tsx';
import { ProjectPicker } from './project-picker.tsx';
import { href, useRoute, type Route } from './router.ts';
import { clearSession, clientFor, loadSession, loadSettings, saveSession, type Session } from './session.ts';
import { Problem } from './ui.tsx';

const NAV = [
  ['services', 'Endpoint services'],
  ['endpoints', 'Endpoints'],
  ['public', 'Public services'],
  ['network', 'VPCs'],
  ['quotas', 'Quotas'],
] as const;

// Each page is keyed by what it shows (a tab is not part of it, so a tab switch keeps the
// page and its focus): going from one service's edit form to the create form, or from one
// detail page to another, starts a new page instead of keeping the last one's state.
function page(route: Route) {
  const [section = 'services', id, sub] = route.parts;
  switch (section) {
    case 'services':
      if (id === 'new') return <ServiceFormPage key="services/new" />;
      if (id !== undefined && sub === 'edit') return <ServiceFormPage key={`services/${id}/edit`} id={id} />;
      if (id !== undefined) return <ServiceDetailPage key={`services/${id}`} id={id} tab={sub} />;
      return <ServicesPage />;
    case 'endpoints':
      if (id === 'new') {
        const service = route.query.get('service') ?? '';
        return <EndpointFormPage key={`endpoints/new?${service}`} service={service} />;
      }
      if (id !== undefined) return <EndpointDetailPage key={`endpoints/${id}`} id={id} />;
      return <EndpointsPage />;
    case 'public':
      return <PublicServicesPage />;
    case 'network':
      return <InventoryPage />;
    case 'quotas':
      return <QuotasPage />;
    default:
      return <p role="alert">There is no page “{section}”.</p>;
  }
}

export function App() {
  const settings = useAsync(loadSettings, []);
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const route = useRoute();

  const signOut = (reason?: string) => {
    clearSession();
    setSession(undefined);
    setNotice(reason);
  };
  const signedIn = (s: Session) => {
    saveSession(s);
    setNotice(undefined);
    setSession(s);
  };
  const client = useMemo(
    () => session && clientFor(session, () => signOut('Your session has ended. Sign in again.')),
    [session],
  );

  const region = settings.data?.region ?? '';
  if (!session || !client) {
    return (
      <>
        {settings.state === 'error' && <Problem error={settings.error} retry={settings.reload} />}
        <SignInPage region={region} notice={notice} onSignedIn={signedIn} />
      </>
    );
  }
  const section = route.parts[0] ?? 'services';
  return (
    <Console.Provider value={{ client, session }}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('services')}>
          vpcep <span>console</span>
        </a>
        <nav aria-label="Sections">
          {NAV.map(([key, label]) => (
            <a key={key} href={href(key)} aria-current={section === key ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="who" aria-label="Signed in as">
          <span title="Account">
            <b>{session.domainName}</b> / {session.userName}
          </span>
          <ProjectPicker region={session.region || region} onSwitched={signedIn} />
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {/* data-route: which route the page below has rendered (a hash change re-renders later). */}
      <main id="main" tabIndex={-1} data-route={route.parts.join('/')}>
        {page(route)}
      </main>
    </Console.Provider>
  );
}
