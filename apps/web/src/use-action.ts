import { useCallback, useState } from 'react';
import { errorMessage } from './api';

export interface Action {
  /** True while the work runs: bind buttons' `disabled` to it. */
  busy: boolean;
  /** What went wrong the last time, in words for the person; cleared when the work runs again. */
  error: string | null;
  /** Runs the work: busy meanwhile, and a failure shown as `error` rather than thrown. */
  run: (work: () => Promise<void>) => Promise<void>;
}

/** A person's action (a form's submit, a button) with its busy state and its error, as every page handles them. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
