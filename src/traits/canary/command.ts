/** What `ferry rollout promote|abort` asks of a running canary; the controller clears it once done. */
export interface RolloutCommand {
  command: 'promote' | 'promote-full' | 'abort';
  requestedAt: string;
  /** The commit whose canary it is meant for (a newer canary ignores it). */
  commit?: string;
}

/** The command as the core hands it over (opaque JSON): undefined unless it is a rollout command. */
export function decodeCommand(json: unknown): RolloutCommand | undefined {
  const c = json as Partial<RolloutCommand> | undefined;
  return c && ['promote', 'promote-full', 'abort'].includes(c.command as string) ? (c as RolloutCommand) : undefined;
}
