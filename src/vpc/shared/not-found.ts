// The inventory's "does not exist" error (VPC.0005), one wording for every resource.
import { apiError } from '../../errors/api-error.ts';

export const notFound = (what: string, id: string) =>
  apiError('VPC.0005', `The ${what} ${id} does not exist.`);
