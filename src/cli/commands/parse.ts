import type { Command } from 'commander';

// Placeholder: the commands of this group land with their issue.
export function registerParse(_program: Command): void {}
