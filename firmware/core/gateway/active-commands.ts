// MI32Scooter and MI32Activate: the commands of the devices the gateway talks to
// (gateway/active-devices.ts), kept apart from the dispatcher's table.
import type { CommandHandler } from './command-target.js';

export const ACTIVE_COMMANDS: Record<string, CommandHandler> = {
  mi32scooter: (arg, t) => t.active.scooterCommand(arg),
  mi32activate: (arg, t) => t.active.activateCommand(arg),
};

export const ACTIVE_CANONICAL: Record<string, string> = { mi32scooter: 'MI32Scooter', mi32activate: 'MI32Activate' };
