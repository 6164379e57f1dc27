import { describe, expect, it } from 'vitest';
import { openRunIds, withRunLock } from './tabs';

/** The Web Locks semantics used here: exclusive locks by name, `ifAvailable` gives null when held. */
function fakeLocks() {
  const held = new Set<string>();
  return {
    async request(name: string, options: { ifAvailable?: boolean }, body: (lock: { name: string } | null) => Promise<unknown>) {
      if (held.has(name)) {
        if (options.ifAvailable) return body(null);
        throw new Error('this fake only grants or refuses');
      }
      held.add(name);
      try {
        return await body({ name });
      } finally {
        held.delete(name);
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name, mode: 'exclusive' as const })), pending: [] };
    },
  } as unknown as Pick<LockManager, 'request' | 'query'>;
}

describe('withRunLock', () => {
  it('lets one holder train a run; a second is refused at once, naming the run; the lock goes with the first', async () => {
    const locks = fakeLocks();
    let release!: () => void;
    const first = withRunLock('r1', 'my run', () => new Promise<string>((r) => (release = () => r('done'))), locks);
    await Promise.resolve();
    expect(await openRunIds(['r1', 'r2'], locks)).toEqual(['r1']);
    const refused = withRunLock('r1', 'my run', async () => 'second', locks);
    await expect(refused).rejects.toThrow(/run "my run" is training in another tab of this browser/);
    await expect(refused).rejects.toMatchObject({ name: 'RunOpenElsewhere' });
    expect(await withRunLock('r2', 'other', async () => 'another run is free', locks)).toBe('another run is free');
    release();
    expect(await first).toBe('done');
    expect(await openRunIds(['r1', 'r2'], locks)).toEqual([]);
    expect(await withRunLock('r1', 'my run', async () => 'now it is free', locks)).toBe('now it is free');
  });

  it('releases the lock when training throws', async () => {
    const locks = fakeLocks();
    await expect(
      withRunLock(
        'r1',
        'x',
        async () => {
          throw new Error('out of memory');
        },
        locks,
      ),
    ).rejects.toThrow('out of memory');
    expect(await openRunIds(['r1'], locks)).toEqual([]);
  });
});
