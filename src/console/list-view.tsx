import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { Page } from '../client/types.ts';
import { mapAsync, transient, useAsync, usePoll, type Async } from './hooks.ts';
import { Problem, type Action } from './ui.tsx';

// What every list of the console is made of, so each page only says what its
// columns and rows hold: the page's heading, a search or add row, a table in
// its loading, error and empty states, and paging.

/** How many items a paged list shows at once. */
export const PAGE_SIZE = 10;

/** A list page: its heading (labelling the section), with a link to the create form when there is one. */
export function ListPage(props: {
  titleId: string;
  title: string;
  create?: { label: string; href: string };
  children: ComponentChildren;
}) {
  const { create } = props;
  return (
    <section aria-labelledby={props.titleId}>
      <div class="heading">
        <h1 id={props.titleId}>{props.title}</h1>
        {create && (
          <a class="button primary" href={create.href}>
            {create.label}
          </a>
        )}
      </div>
      {props.children}
    </section>
  );
}

/** The row of controls above a list; submitting it stays in the page. */
function ToolbarForm(props: {
  role?: 'search';
  method?: 'post';
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class="toolbar"
      role={props.role}
      method={props.method}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/** The search row: the query is only applied on submit (Enter or the button), trimmed. */
export function SearchForm(props: { id: string; label: string; onSearch: (query: string) => void }) {
  const [search, setSearch] = useState('');
  return (
    <ToolbarForm role="search" onSubmit={() => props.onSearch(search.trim())}>
      <label for={props.id}>{props.label}</label>
      <input id={props.id} type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
      <button type="submit">Search</button>
    </ToolbarForm>
  );
}

/** The row above a list that adds to it; the action's error (or a row action's) shows below it. */
export function AddForm(props: {
  act: Action;
  submit: string;
  run: () => Promise<unknown>;
  done: () => void;
  children: ComponentChildren;
}) {
  const { act } = props;
  return (
    <>
      <ToolbarForm method="post" onSubmit={() => act.run(props.run, props.done)}>
        {props.children}
        <button type="submit" disabled={act.busy}>
          {props.submit}
        </button>
      </ToolbarForm>
      {act.error !== undefined && <Problem error={act.error} />}
    </>
  );
}

/** A table body in one of its states: loading, error, empty, or the rows. */
export function Rows<T>(props: {
  data: Async<T[]>;
  columns: number;
  empty: ComponentChildren;
  row: (item: T) => ComponentChildren;
}) {
  const { data, columns } = props;
  let only: ComponentChildren;
  if (data.state === 'loading' && data.data === undefined) only = <span class="muted">Loading…</span>;
  else if (data.state === 'error' && data.data === undefined)
    only = <Problem error={data.error} retry={data.reload} />;
  else if ((data.data ?? []).length === 0) only = <span class="muted">{props.empty}</span>;
  return (
    <tbody aria-busy={data.state === 'loading'}>
      {only !== undefined ? (
        <tr>
          <td colSpan={columns} class="state">
            {only}
          </td>
        </tr>
      ) : (
        (data.data ?? []).map(props.row)
      )}
      {data.state === 'error' && data.data !== undefined && (
        <tr>
          <td colSpan={columns}>
            <Problem error={data.error} retry={data.reload} />
          </td>
        </tr>
      )}
    </tbody>
  );
}

export interface PagerProps {
  offset: number;
  limit: number;
  total: number;
  onOffset: (o: number) => void;
}

export function Pager(props: PagerProps) {
  const { offset, limit, total } = props;
  if (total <= limit && offset === 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={offset === 0}
        onClick={() => props.onOffset(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <span>
        {total === 0 ? 0 : offset + 1}–{last} of {total}
      </span>
      <button type="button" disabled={last >= total} onClick={() => props.onOffset(offset + limit)}>
        Next
      </button>
    </nav>
  );
}

/**
 * A list's table: a caption for screen readers, a header row (`actions` adds a
 * last column for the rows' buttons, named for screen readers only), the body
 * in its states, and the pager below when the list is paged.
 */
export function ListTable<T>(props: {
  caption?: string;
  columns: readonly string[];
  actions?: boolean;
  data: Async<T[]>;
  empty: ComponentChildren;
  row: (item: T) => ComponentChildren;
  pager?: PagerProps | undefined;
}) {
  return (
    <>
      <table>
        {props.caption !== undefined && <caption class="sr-only">{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            {props.actions && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <Rows
          data={props.data}
          columns={props.columns.length + (props.actions ? 1 : 0)}
          empty={props.empty}
          row={props.row}
        />
      </table>
      {props.pager && <Pager {...props.pager} />}
    </>
  );
}

/**
 * One page of a list at a time, loaded again when `deps` change; the pager moves the window.
 * The pager describes the page the table shows: useAsync counts as loading from the render
 * in which the offset changes, and while a page loads with nothing to show there is no pager
 * (it once said "11–11 of 11" over the first page's rows for a frame, then "0–0 of 0").
 * A page that fails keeps the pager with the total last loaded for the same deps, so the
 * user can page back from it.
 */
export function usePagedList<T>(
  load: (window: { limit: number; offset: number }) => Promise<Page<T>>,
  deps: readonly unknown[],
): { rows: Async<T[]>; pager: PagerProps | undefined; onOffset: (offset: number) => void } {
  const [offset, setOffset] = useState(0);
  const page = useAsync(() => load({ limit: PAGE_SIZE, offset }), [...deps, offset]);
  // The total last loaded, in a box the deps (not the offset) own: new deps start empty.
  const lastTotal = useMemo((): { value?: number } => ({}), deps);
  if (page.data !== undefined) lastTotal.value = page.data.total;
  const total = page.data?.total ?? (page.state === 'error' ? lastTotal.value : undefined);
  return {
    rows: mapAsync(page, (p) => p.items),
    pager: total === undefined ? undefined : { offset, limit: PAGE_SIZE, total, onOffset: setOffset },
    onOffset: setOffset,
  };
}

/**
 * Keeps a list fresh while one of its items is in a state that changes without
 * this tab doing anything: a transition the API finishes by itself (the default),
 * or what `moving` names (an endpoint waiting for its provider).
 */
export function usePollWhileTransient(
  list: Async<readonly { status: string }[]>,
  moving: (status: string) => boolean = transient,
): void {
  usePoll(
    list.reload,
    (list.data ?? []).some((item) => moving(item.status)),
  );
}
