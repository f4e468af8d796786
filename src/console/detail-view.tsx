import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Async } from './hooks.ts';
import { navigate } from './router.ts';
import { Confirm, Problem, Status } from './ui.tsx';

// What a resource's own page is made of: the way back to its list, its name
// and status beside the page's buttons, deleting it after a confirmation, and
// the state before it has loaded.

/** What stands in for data not loaded yet: a loading note, or why it failed with a retry. */
export function Pending(props: { data: Async<unknown> }) {
  const { data } = props;
  return data.state === 'error' ? (
    <Problem error={data.error} retry={data.reload} />
  ) : (
    <p class="muted">Loading…</p>
  );
}

/**
 * A resource's page once loaded: the link back to its list, the heading with
 * the status badge, the page's own buttons and Delete (off while it is being
 * deleted), and the error of a reload that failed (the last data stays shown).
 * Delete asks first; once the resource is deleted the page goes back to the list.
 */
export function DetailPage(props: {
  back: { label: string; href: string };
  titleId: string;
  title: string;
  status: string;
  data: Async<unknown>;
  actions?: ComponentChildren;
  remove: { title: string; action: string; run: () => Promise<unknown>; question: ComponentChildren };
  children: ComponentChildren;
}) {
  const { data, back, remove } = props;
  const [deleting, setDeleting] = useState(false);
  return (
    <section aria-labelledby={props.titleId}>
      <p>
        <a href={back.href}>← {back.label}</a>
      </p>
      <div class="heading">
        <h1 id={props.titleId}>{props.title}</h1>
        <Status status={props.status} />
        <span class="spacer" />
        {props.actions}
        <button
          type="button"
          class="danger"
          onClick={() => setDeleting(true)}
          disabled={props.status === 'deleting'}
        >
          Delete
        </button>
      </div>
      {data.state === 'error' && <Problem error={data.error} retry={data.reload} />}
      {props.children}
      {deleting && (
        <Confirm
          title={remove.title}
          action={remove.action}
          run={remove.run}
          onClose={(done) => {
            setDeleting(false);
            if (done) navigate(back.href);
          }}
        >
          {remove.question}
        </Confirm>
      )}
    </section>
  );
}
