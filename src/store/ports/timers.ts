import type { Channel } from "../../model/channel.ts";

export interface DueTimer {
  conversationKey: string;
  channel: Channel;
  chatId: string;
  name: string;
  token: string;
  at: number;
}

/** a flow's timers (reminders, follow-ups): the scheduler hands due ones to the journal */
export interface TimerPort {
  /** timers due at `now` that were not yet handed to the journal */
  dueTimers(now: number, max: number): Promise<DueTimer[]>;
  /** the timer's event is in the journal; do not hand it out again */
  markTimerFired(conversationKey: string, name: string, token: string): Promise<void>;
}
