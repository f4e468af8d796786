import { VpcepClient } from '../../src/client/index.ts';
import { signedTransport } from '../../src/client/signed-transport.ts';

/** Keys and project of a caller: a TestAccount, or an IAM user's keys in an account's project. */
export interface SignedCaller {
  ak: string;
  sk: string;
  projectId: string;
}

/** Our client module signing as `caller` against the server at `url`. */
export function signedClient(url: string, caller: SignedCaller): VpcepClient {
  const transport = signedTransport({
    endpoint: url,
    ak: caller.ak,
    sk: caller.sk,
    projectId: caller.projectId,
  });
  return new VpcepClient(transport, caller.projectId);
}
