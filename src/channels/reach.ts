// Which owners the configured channels reach: an owner's people (the user, a team's members and
// manager, a role's holders) with a Slack id when Slack is on, or an email when SMTP is on.
import type { Directory } from '../engine/directory.ts';
import type { ChannelReach } from '../engine/runtime.ts';
import type { Channel } from './port.ts';

export function channelReach(directory: Directory, channels: readonly Channel[]): ChannelReach | undefined {
  if (channels.length === 0) return undefined;
  const cache = new Map<string, boolean>();
  return {
    reaches(owner) {
      let hit = cache.get(owner);
      if (hit === undefined) {
        hit = directory.usersOf(owner).some((id) => {
          const p = directory.person(id);
          return !!p && channels.some((c) => c.addressOf(p) !== undefined);
        });
        cache.set(owner, hit);
      }
      return hit;
    },
    updatesClosedApprovals: channels.some((c) => c.showClosed !== undefined),
  };
}
