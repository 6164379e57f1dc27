// Probe heads kept with their checkpoint: found again for the same readout and dataset, not for
// another; gone with the checkpoint (deleted, pruned or orphaned); carried by the export zip and
// stored again under the imported run.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProbeHead, loadProbes, probesFromJson, probesToJson, saveProbeHead, type ProbeHeadValues } from './probe-store';
import { deleteCheckpoint, removeOrphans, saveCheckpoint } from './run-db';
import { importCheckpoint } from '../host/checkpoint-service';
import { config, memoryKv, run } from '../host/test-kit';
import { checkpointZip, readProbesZip } from './zip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const head = (d: number, c: number, v = 1): ProbeHeadValues => ({
  mean: new Float32Array(d).fill(v),
  std: new Float32Array(d).fill(2),
  w: Float32Array.from({ length: d * c }, (_, i) => i * v),
  b: new Float32Array(c).fill(-v),
});
const fit = { datasetId: 'synthetic', classes: ['a', 'b', 'c'] };

describe('probe heads kept with their checkpoint', () => {
  it('saves and finds a head by run, step, readout and dataset; none for another readout, dataset or class list', async () => {
    const kv = memoryKv();
    const { saved } = await run(config);
    const ck = saved[saved.length - 1];
    await saveCheckpoint(kv, ck, 10);
    const at = { runId: ck.meta.runId, step: ck.meta.step };
    expect(await saveProbeHead(kv, at, 'pool:global|bn0', fit, head(4, 3))).toBe(true);
    expect(await saveProbeHead(kv, { ...at, step: 999 }, 'pool:global|bn0', fit, head(4, 3))).toBe(false); // no checkpoint there
    const got = await loadProbeHead(kv, at, 'pool:global|bn0', fit);
    expect(Array.from(got!.w)).toEqual(Array.from(head(4, 3).w));
    expect(await loadProbeHead(kv, at, 'pool:4x4|bn0', fit)).toBeNull();
    expect(await loadProbeHead(kv, at, 'pool:global|bn0', { ...fit, datasetId: 'other' })).toBeNull();
    expect(await loadProbeHead(kv, at, 'pool:global|bn0', { ...fit, classes: ['a', 'c', 'b'] })).toBeNull();
    // A second readout keeps the first; a head fit on another dataset replaces both.
    await saveProbeHead(kv, at, 'pool:4x4|bn0', fit, head(64, 3, 2));
    expect(await loadProbeHead(kv, at, 'pool:global|bn0', fit)).not.toBeNull();
    await saveProbeHead(kv, at, 'pool:global|bn0', { datasetId: 'other', classes: ['x', 'y'] }, head(4, 2));
    expect(await loadProbeHead(kv, at, 'pool:4x4|bn0', fit)).toBeNull();
  });

  it('goes with its checkpoint: deleted, pruned by a newer one, or left without one', async () => {
    const kv = memoryKv();
    const { saved } = await run(config);
    const [a, b, c] = saved.slice(-3);
    for (const ck of [a, b]) {
      await saveCheckpoint(kv, ck, 2);
      await saveProbeHead(kv, { runId: ck.meta.runId, step: ck.meta.step }, 'pool:global|bn0', fit, head(4, 3));
    }
    const probeKeys = () => [...kv.map.keys()].filter((k) => k.startsWith('probe:'));
    expect(probeKeys()).toHaveLength(2);
    await saveCheckpoint(kv, c, 2); // keep 2: a is pruned, and its head with it
    expect(probeKeys()).toHaveLength(1);
    expect(await loadProbeHead(kv, { runId: b.meta.runId, step: b.meta.step }, 'pool:global|bn0', fit)).not.toBeNull();
    await deleteCheckpoint(kv, b.meta.runId, b.meta.step);
    expect(probeKeys()).toHaveLength(0);
    // A head whose checkpoint vanished another way is an orphan.
    await saveProbeHead(kv, { runId: c.meta.runId, step: c.meta.step }, 'pool:global|bn0', fit, head(4, 3));
    kv.map.set('probe:ckpt:gone:000000001:1', { datasetId: 'x', classes: [], heads: {} });
    expect(await removeOrphans(kv)).toBe(1);
    expect(probeKeys()).toHaveLength(1);
    await deleteCheckpoint(kv, c.meta.runId); // the whole run
    expect(probeKeys()).toHaveLength(0);
  });

  it('travels in the export zip and is stored again under the imported run', async () => {
    const kv = memoryKv();
    const { saved } = await run(config);
    const ck = saved[saved.length - 1];
    await saveCheckpoint(kv, ck, 10);
    await saveProbeHead(kv, { runId: ck.meta.runId, step: ck.meta.step }, 'pool:global|bn0', fit, head(4, 3, 0.5));
    const probes = await loadProbes(kv, ck.meta.runId);
    const zip = checkpointZip(ck, probes);
    expect(Object.keys(readProbesZip(zip)!.heads)).toEqual(['pool:global|bn0']);
    expect(readProbesZip(checkpointZip(ck))).toBeNull();
    const record = await importCheckpoint(kv, zip, 10);
    expect(record.runId).not.toBe(ck.meta.runId);
    const back = await loadProbeHead(kv, { runId: record.runId, step: ck.meta.step }, 'pool:global|bn0', fit);
    expect(Array.from(back!.mean)).toEqual(Array.from(head(4, 3, 0.5).mean));
  });

  it('JSON drops a head whose sizes disagree and refuses a malformed file', () => {
    const text = probesToJson({ ...fit, heads: { good: head(4, 3), bad: { ...head(4, 3), b: new Float32Array(2) } } });
    expect(Object.keys(probesFromJson(text).heads)).toEqual(['good']);
    expect(() => probesFromJson('{"datasetId": 3}')).toThrow(/probe-heads.json is damaged/);
  });
});
