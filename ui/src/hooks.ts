import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Runs `load` when `deps` change (and on reload); a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Sets the document title and moves focus to the view's heading, so a screen reader hears the change. */
export function useViewTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · SSO configuration`;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [title]);
}

export interface Paged<T> {
  readonly items: readonly T[];
  readonly error: unknown;
  readonly loading: boolean;
  /** Loads the next page; null on the last page. */
  readonly more: (() => void) | null;
  readonly reload: () => void;
}

/** A cursor-paginated list (`items`, `nextCursor`): the first page when `deps` change, then more on demand. */
export function usePaged<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  deps: readonly unknown[],
): Paged<T> {
  const [state, setState] = useState<{
    items: T[];
    cursor: string | null;
    error?: unknown;
    loading: boolean;
  }>({ items: [], cursor: null, loading: true });
  const [generation, setGeneration] = useState(0);
  const [request, setRequest] = useState<{ cursor: string | undefined; n: number }>({
    cursor: undefined,
    n: 0,
  });

  useEffect(() => setRequest((r) => ({ cursor: undefined, n: r.n + 1 })), [...deps, generation]);

  useEffect(() => {
    if (request.n === 0) return;
    let current = true;
    const first = request.cursor === undefined;
    setState((s) => ({ ...s, items: first ? [] : s.items, loading: true, error: undefined }));
    fetchPage(request.cursor).then(
      (page) =>
        current &&
        setState((s) => ({
          items: first ? page.items : [...s.items, ...page.items],
          cursor: page.nextCursor,
          loading: false,
        })),
      (error: unknown) => current && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [request]);

  const { cursor, loading } = state;
  const more = useCallback(() => {
    if (cursor) setRequest((r) => ({ cursor, n: r.n + 1 }));
  }, [cursor]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { items: state.items, error: state.error, loading, more: cursor && !loading ? more : null, reload };
}
