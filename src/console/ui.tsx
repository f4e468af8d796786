import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './session.ts';

// The console's building blocks: status badges, errors, labelled fields, dialogs
// and tabs (lists have theirs in list-view.tsx). Each is keyboard-usable with
// native elements.

const STATUS_LABELS: Record<string, string> = {
  creating: 'Creating',
  available: 'Available',
  pendingAcceptance: 'Pending acceptance',
  accepted: 'Accepted',
  rejected: 'Rejected',
  failed: 'Failed',
  deleting: 'Deleting',
};

const STATUS_TONES: Record<string, string> = {
  available: 'ok',
  accepted: 'ok',
  creating: 'busy',
  deleting: 'busy',
  pendingAcceptance: 'wait',
  rejected: 'bad',
  failed: 'bad',
};

export function Status({ status }: { status: string }) {
  return (
    <span class={`badge badge-${STATUS_TONES[status] ?? 'none'}`} data-status={status}>
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}

export function Problem({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="problem" role="alert">
      <span>{describeError(error)}</span>
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

let nextId = 0;
/** An id for a label's `for`, stable for the component's life. */
export function useFieldId(prefix: string): string {
  const id = useRef('');
  if (id.current === '') id.current = `${prefix}-${++nextId}`;
  return id.current;
}

/** A field's hint below it, named by the field's `aria-describedby` (`ID-hint`). */
function Hint(props: { id: string; text: string | undefined }) {
  return props.text ? (
    <small id={`${props.id}-hint`} class="muted">
      {props.text}
    </small>
  ) : null;
}

/** The input attributes the console's fields use. */
interface InputProps {
  type?: 'text' | 'password';
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  maxLength?: number;
  inputMode?: 'numeric' | 'text';
}

/** A text input with a visible label. */
export function TextField(
  props: InputProps & { label: string; value: string; onValue: (v: string) => void; hint?: string },
) {
  const { label, value, onValue, hint, type, ...rest } = props;
  const id = useFieldId('f');
  const common = {
    id,
    value,
    onInput: (e: { currentTarget: HTMLInputElement }) => onValue(e.currentTarget.value),
    'aria-describedby': hint ? `${id}-hint` : undefined,
    ...rest,
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {/* Two literal types: Preact's input typing is a union discriminated by `type`. */}
      {type === 'password' ? <input type="password" {...common} /> : <input type="text" {...common} />}
      <Hint id={id} text={hint} />
    </div>
  );
}

/** The password of a sign-in (autofill offers the saved one), never kept after the request. */
export function PasswordField(props: { value: string; onValue: (v: string) => void }) {
  return (
    <TextField
      label="Password"
      type="password"
      value={props.value}
      onValue={props.onValue}
      required
      autocomplete="current-password"
    />
  );
}

export function SelectField(props: {
  label: string;
  value: string;
  onValue: (v: string) => void;
  options: readonly { value: string; label: string }[];
  required?: boolean;
  placeholder?: string;
  /** Shown, not changeable (a field fixed once the resource exists). */
  disabled?: boolean;
  hint?: string;
}) {
  const id = useFieldId('s');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        required={props.required}
        disabled={props.disabled}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onValue(e.currentTarget.value)}
      >
        {props.placeholder !== undefined && <option value="">{props.placeholder}</option>}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Hint id={id} text={props.hint} />
    </div>
  );
}

export function CheckField(props: { label: string; checked: boolean; onValue: (v: boolean) => void }) {
  const id = useFieldId('c');
  return (
    <div class="field check">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onValue(e.currentTarget.checked)}
      />
      <label for={id}>{props.label}</label>
    </div>
  );
}

/**
 * A modal dialog on the native <dialog>: focus moves into it, Escape closes it,
 * the page behind is inert, and focus returns to where it was.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    const before = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    return () => {
      dialog?.close();
      before?.focus();
    };
  }, []);
  const titleId = useFieldId('d');
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** Asks before an irreversible action; shows the action's error in place. */
export function Confirm(props: {
  title: string;
  action: string;
  children: ComponentChildren;
  run: () => Promise<unknown>;
  onClose: (done: boolean) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return (
    <Dialog title={props.title} onClose={() => props.onClose(false)}>
      <div>{props.children}</div>
      {error !== undefined && <Problem error={error} />}
      <div class="actions">
        <button type="button" onClick={() => props.onClose(false)}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            props.run().then(
              () => props.onClose(true),
              (err: unknown) => {
                setError(err);
                setBusy(false);
              },
            );
          }}
        >
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}

/** Tabs with arrow-key movement, as the WAI-ARIA tabs pattern has it. */
export function Tabs<K extends string>(props: {
  label: string;
  tabs: readonly { key: K; label: string }[];
  active: K;
  onSelect: (k: K) => void;
}) {
  const move = (e: KeyboardEvent, index: number) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    e.preventDefault();
    const next = props.tabs[(index + step + props.tabs.length) % props.tabs.length];
    if (next) {
      props.onSelect(next.key);
      document.getElementById(`tab-${next.key}`)?.focus();
    }
  };
  return (
    <div role="tablist" aria-label={props.label} class="tabs">
      {props.tabs.map((t, i) => (
        <button
          key={t.key}
          id={`tab-${t.key}`}
          type="button"
          role="tab"
          aria-selected={t.key === props.active}
          aria-controls={`panel-${t.key}`}
          tabIndex={t.key === props.active ? 0 : -1}
          onClick={() => props.onSelect(t.key)}
          onKeyDown={(e) => move(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function Facts(props: { items: readonly [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {props.items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === '' || v === undefined || v === null ? <span class="muted">–</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function when(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t)
    ? new Date(t)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$|Z$/, ' UTC')
    : iso;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** An action in progress or done: its busy flag and its error kept for display. */
export interface Action {
  busy: boolean;
  error: unknown;
  run: (action: () => Promise<unknown>, done?: () => void) => void;
  clear: () => void;
}

/** Runs an action with a busy flag and its error kept for display. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  return {
    busy,
    error,
    clear: () => setError(undefined),
    run: (action, done) => {
      setBusy(true);
      setError(undefined);
      action().then(
        () => {
          setBusy(false);
          done?.();
        },
        (err: unknown) => {
          setBusy(false);
          setError(err);
        },
      );
    },
  };
}
