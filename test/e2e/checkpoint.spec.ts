// Checkpoints in a real browser: a reload mid-run loses at most checkpointEvery steps and the run
// resumes from its checkpoint with its charts continuous; exports download real zips; an exported
// checkpoint imports back, and a damaged file is refused with a message and changes nothing.
import { expect, test, type Page } from './fixtures';
import { readFileSync, writeFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { readSafetensors } from '../../workers/torch/safetensors';
import { lossPoints, openWithSample, stepOf, TINY, waitForStep } from './helpers';

const savedSteps = async (page: Page) =>
  (await page.getByTestId('checkpoint').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-step'))))).sort((a, b) => a - b);

test('a reload mid-run offers to resume; the run continues from its last checkpoint', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=20&checkpointEvery=5&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await waitForStep(page, 12);
  await expect.poll(async () => Math.max(0, ...(await savedSteps(page)))).toBeGreaterThanOrEqual(10);
  await expect(page.getByTestId('storage')).toContainText('Browser storage');
  const before = await stepOf(page);

  await page.reload();
  const offer = page.getByTestId('resume-offer');
  await expect(offer).toBeVisible({ timeout: 90_000 });
  const saved = Math.max(...(await savedSteps(page)));
  const lost = before - saved;
  console.log(`reload at step ≥ ${before}; last checkpoint at step ${saved}; steps lost ≤ ${lost} (checkpointEvery = 5)`);
  expect(saved).toBeGreaterThanOrEqual(10);
  expect(saved % 5).toBe(0);
  await expect(offer).toContainText(`step ${saved} of`);

  await offer.getByTestId('resume-offer-accept').click();
  await expect(page.getByTestId('run-state')).toHaveText('running');
  await waitForStep(page, saved + 4);
  await page.getByTestId('train-stop').click();
  await expect(page.getByTestId('run-state')).toHaveText('stopped');
  const stopped = await stepOf(page);
  // One loss point per step, across the break: the history came back with the checkpoint.
  await expect.poll(() => lossPoints(page)).toBe(stopped);
  // Stop wrote a checkpoint at the final step of the same run.
  await expect.poll(async () => Math.max(...(await savedSteps(page)))).toBe(stopped);
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(1);
});

test('export downloads the weights zip, the checkpoint file and the PyTorch project; the checkpoint and the PyTorch weights import back; a damaged file is refused', async ({
  page,
}, info) => {
  await openWithSample(page, `${TINY}&epochs=1&checkpointEvery=10&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await expect.poll(() => savedSteps(page)).toContain(100);

  const row = page.locator('[data-testid=checkpoint][data-step="100"]');
  const [weights] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-weights').click()]);
  expect(weights.suggestedFilename()).toMatch(/-step100-weights\.zip$/);
  const files = unzipSync(readFileSync((await weights.path())!));
  expect(Object.keys(files).sort()).toEqual([
    'README.txt',
    'config.json',
    'encoder/model.json',
    'encoder/weights.bin',
    'metrics.csv',
    'projector/model.json',
    'projector/weights.bin',
  ]);
  expect(JSON.parse(strFromU8(files['encoder/model.json'])).format).toBe('layers-model');
  expect(JSON.parse(strFromU8(files['config.json'])).width).toBe(4);
  const metrics = strFromU8(files['metrics.csv']).trim().split('\n');
  // A header, the online k-NN's step-0 point (the random init), then one row per step.
  expect(metrics).toHaveLength(102);
  expect(metrics[0]).toMatch(/,knnTop1,knnTop1Lo95,knnTop1Hi95,knnPixels,knnRandom$/);
  // The curve ends at the last step: its top-1, that top-1's 95% interval, and the two lines.
  const last = metrics[metrics.length - 1];
  expect(last).toMatch(/^100,.*,0\.\d+,0\.\d+,0\.\d+,0\.\d+,0\.\d+$/);
  const [top1, lo, hi] = last.split(',').slice(-5).map(Number);
  expect(lo).toBeLessThan(top1);
  expect(hi).toBeGreaterThan(top1);
  expect(strFromU8(files['README.txt'])).toContain('tf.loadLayersModel');

  const [ckpt] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-checkpoint').click()]);
  expect(ckpt.suggestedFilename()).toMatch(/-step100\.vicreg\.zip$/);
  const ckptPath = info.outputPath('run.vicreg.zip');
  await ckpt.saveAs(ckptPath);

  // The PyTorch project: the weights in PyTorch's layout (OIHW), the optimizer state, the script.
  const [torchZip] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-pytorch').click()]);
  expect(torchZip.suggestedFilename()).toMatch(/-step100-pytorch\.zip$/);
  const project = unzipSync(readFileSync((await torchZip.path())!));
  expect(Object.keys(project).sort()).toEqual([
    'README.md',
    'model.safetensors',
    'optimizer.safetensors',
    'requirements.txt',
    'train_vicreg.py',
  ]);
  const model = readSafetensors(project['model.safetensors']);
  expect(model.tensors.get('backbone.conv1.weight')!.shape).toEqual([4, 3, 3, 3]);
  expect(model.tensors.get('backbone.bn1.num_batches_tracked')!.dtype).toBe('I64');
  expect(model.metadata.step).toBe('100');
  expect(JSON.parse(model.metadata.config).width).toBe(4);
  expect(strFromU8(project['train_vicreg.py'])).toContain('torchrun --nproc_per_node=N train_vicreg.py');
  const torchPath = info.outputPath('model.safetensors');
  writeFileSync(torchPath, project['model.safetensors']);

  const [csv] = await Promise.all([page.waitForEvent('download'), row.getByTestId('export-embeddings').click()]);
  const lines = readFileSync((await csv.path())!, 'utf8')
    .trim()
    .split('\n');
  expect(lines).toHaveLength(2001);
  // The default readout: the last map's 8w = 32 channels on a 4×4 grid.
  expect(csv.suggestedFilename()).toMatch(/-embeddings-pool-4x4\.csv$/);
  expect(lines[0]).toMatch(/^path,split,class,f0,f1,.*f511$/);
  expect(lines[1].split(',')).toHaveLength(3 + 32 * 16);

  // Delete the run, then bring it back from the file.
  await page.getByTestId('checkpoint-run').getByRole('button', { name: 'Delete run' }).click();
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(0);
  await page.getByTestId('import-checkpoint').setInputFiles(ckptPath);
  await expect(page.getByTestId('checkpoint-notice')).toContainText('Imported');
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(1);
  expect(await savedSteps(page)).toEqual([100]);

  // PyTorch weights come in as a run of their own, which k-NN evaluates.
  await page.getByTestId('import-checkpoint').setInputFiles(torchPath);
  await expect(page.getByTestId('checkpoint-notice')).toContainText('Imported');
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(2);
  const imported = page.getByTestId('checkpoint-run').first();
  await expect(imported).toContainText('step 100 of 100 · finished');
  await imported.getByTestId('checkpoint-evaluate').click();
  await page.getByTestId('knn-run').click();
  await expect(page.getByTestId('knn-accuracy')).toBeVisible({ timeout: 120_000 });
  await expect(imported.getByTestId('checkpoint-results')).toContainText(/k-NN \d+\.\d \(\d+\.\d–\d+\.\d\)/);
  await imported.getByRole('button', { name: 'Delete run' }).click();
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(1);

  // A damaged copy is refused with the reason; the stored run is untouched.
  const bytes = readFileSync(ckptPath);
  await page
    .getByTestId('import-checkpoint')
    .setInputFiles({ name: 'damaged.vicreg.zip', mimeType: 'application/zip', buffer: bytes.subarray(0, bytes.length >> 1) });
  await expect(page.getByTestId('checkpoint-notice')).toContainText('damaged.vicreg.zip was not imported: the file is not a readable zip');
  await expect(page.getByTestId('checkpoint-run')).toHaveCount(1);
  expect(await savedSteps(page)).toEqual([100]);
});

test('any stored checkpoint can be evaluated, and its figures stay with it in the list', async ({ page }) => {
  await openWithSample(page, `${TINY}&epochs=1&checkpointEvery=40&backend=wasm`, 'wasm');
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-state')).toHaveText('done', { timeout: 120_000 });
  await expect.poll(() => savedSteps(page)).toEqual([40, 80, 100]);
  // An older checkpoint than the run's end: the evaluation says which weights it uses.
  const row = page.locator('[data-testid=checkpoint][data-step="40"]');
  await row.getByTestId('checkpoint-evaluate').click();
  await expect(page.getByTestId('eval-mode')).toContainText('stored checkpoint');
  await expect(page.getByTestId('eval-mode')).toContainText('step 40');
  await page.getByTestId('knn-run').click();
  const table = page.getByTestId('knn-accuracy');
  await expect(table).toBeVisible({ timeout: 120_000 });
  await expect(table).toContainText('step 40');
  await expect(row.getByTestId('checkpoint-results')).toContainText(/k-NN \d+\.\d \(\d+\.\d–\d+\.\d\)/);
  await expect(page.locator('[data-testid=checkpoint][data-step="100"]').getByTestId('checkpoint-results')).toHaveText('');
});
