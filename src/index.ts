/** The public library API: everything the CLI does is callable from here. */
export { UserError } from './errors.ts';
