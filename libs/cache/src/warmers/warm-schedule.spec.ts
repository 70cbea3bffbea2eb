import { WarmSchedule, type ScheduleClock } from './warm-schedule.js';

/** A clock whose timers run when the test says, each `lag` ms late (event-loop lag, a busy machine). */
class ManualClock implements ScheduleClock {
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 1;

  constructor(public current: number) {}

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delay: number): NodeJS.Timeout {
    const id = this.nextId++;
    this.timers.push({ at: this.current + delay, callback, id });
    return id as unknown as NodeJS.Timeout;
  }

  clearTimeout(timer: NodeJS.Timeout): void {
    this.timers = this.timers.filter(({ id }) => id !== (timer as unknown as number));
  }

  /** Runs due timers up to `until`, each firing `lag` ms after its due time. */
  runUntil(until: number, lag = 0): void {
    for (;;) {
      const due = this.timers.filter(({ at }) => at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.current = Math.max(this.current, due.at + lag);
      due.callback();
    }
    this.current = Math.max(this.current, until);
  }
}

const START = Date.UTC(2026, 0, 1, 12, 0, 0, 0);

function ticksOf(lag: number, skew = 0): number[] {
  const clock = new ManualClock(START + skew);
  const ticks: number[] = [];
  const schedule = new WarmSchedule('* * * * * *', (scheduledAt) => ticks.push(scheduledAt), clock);
  schedule.start();
  clock.runUntil(START + skew + 5_000, lag);
  schedule.stop();
  return ticks;
}

describe('WarmSchedule (issue 7.12)', () => {
  it('names each tick by its scheduled instant, whatever the timer lag', () => {
    const expected = [1, 2, 3, 4].map((second) => START + second * 1_000);
    expect(ticksOf(0)).toEqual([...expected, START + 5_000]);
    // NOTE: rounding the wall clock at 600 ms of lag named these START+2s, +3s...: one tick ran twice.
    expect(ticksOf(600).slice(0, 4)).toEqual(expected);
    expect(ticksOf(999).slice(0, 4)).toEqual(expected);
  });

  it('gives instances with lag or skewed clocks the same identities', () => {
    const onTime = ticksOf(0);
    const late = ticksOf(700, 300);
    expect(late.every((tick) => onTime.includes(tick) || tick > onTime[onTime.length - 1])).toBe(true);
    expect(new Set(late).size).toBe(late.length);
  });

  it('skips instants missed during a stall instead of replaying them', () => {
    const clock = new ManualClock(START);
    const ticks: number[] = [];
    const schedule = new WarmSchedule('* * * * * *', (scheduledAt) => ticks.push(scheduledAt), clock);
    schedule.start();
    clock.runUntil(START + 1_000, 4_500);
    expect(ticks).toEqual([START + 1_000]);
    clock.runUntil(START + 7_000);
    expect(ticks).toEqual([START + 1_000, START + 6_000, START + 7_000]);
    schedule.stop();
  });

  it('stops firing after stop()', () => {
    const clock = new ManualClock(START);
    const ticks: number[] = [];
    const schedule = new WarmSchedule('* * * * * *', (scheduledAt) => ticks.push(scheduledAt), clock);
    schedule.start();
    clock.runUntil(START + 2_000);
    schedule.stop();
    clock.runUntil(START + 5_000);
    expect(ticks).toEqual([START + 1_000, START + 2_000]);
  });
});
