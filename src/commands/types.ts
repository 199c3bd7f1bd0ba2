// The command shapes live with the actions (actions/types), which run them without importing commands/.
export type { Command, CommandInput, CommandResult } from '../actions/types';
