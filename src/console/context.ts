import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { VpcepClient } from '../client/index.ts';
import type { Session } from './session.ts';

export interface ConsoleContext {
  client: VpcepClient;
  session: Session;
}

export const Console = createContext<ConsoleContext | undefined>(undefined);

/** The signed-in client and session; only pages under the shell call this. */
export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (value === undefined) throw new Error('useConsole outside the signed-in shell');
  return value;
}
