// The UI <-> worker contract. The worker implements WorkerApi and exposes it with Comlink; the UI
// holds a Comlink.Remote<WorkerApi>. Only plain data crosses: no TF.js objects.
import type { BackendChoice, BackendName, FeatPool, TrainConfig } from './config';
import type {
  BudgetPlan,
  CheckpointInfo,
  DiagnosticsRecord,
  EvalKind,
  EvalRowName,
  KnnBaselines,
  KnnRecord,
  MetricRecord,
  RunRecord,
} from './records';

export type * from './records';

/** A checkpoint file larger than this is refused before it is read (the largest recipe's is ~0.3 GB). */
export const MAX_IMPORT_BYTES = 1 << 30;

/** The message type a worker posts, outside Comlink, when its GPU device is lost (src/bridge.ts). */
export const GPU_LOST = 'vicreg:gpu-lost';

/** The name of the error a resume gets when the run trains in another tab (Comlink keeps names). */
export const RUN_OPEN_ELSEWHERE = 'RunOpenElsewhere';

/** The BroadcastChannel on which a change to the stored runs is announced (workers/checkpoint/tabs.ts). */
export const RUNS_CHANNEL = 'vicreg-studio-runs';

/** The phases of the training loop's wall time, as the worker thread that runs the step sees them
 *  (workers/train/phases.ts): the two views, the step, the metrics readback, the online k-NN,
 *  checkpoints, the rest of the loop's bookkeeping; what is left is idle (waiting). */
export const LOOP_PHASES = ['data', 'step', 'readback', 'knn', 'checkpoint', 'other'] as const;
export type LoopPhase = (typeof LOOP_PHASES)[number];

/** The loop's time so far: wall time from the first step, each phase's busy time, the rest idle (ms). */
export interface PhaseReport {
  steps: number;
  images: number;
  wallMs: number;
  ms: Record<LoopPhase, number>;
  idleMs: number;
  /** Where the views were rendered: a second worker, or the training thread itself. */
  views: 'worker' | 'inline' | null;
  /** The idle time by what the loop was waiting for (ms): the views, a readback, the previous
   *  checkpoint's write, the next task (where messages get in), a timed step's device. */
  waits: Record<string, number>;
}

export type WarningKind = 'std-collapse' | 'cosine' | 'cov-zero' | 'non-finite' | 'below-pixels' | 'budget' | 'online-knn';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  reason?: string; // why it was skipped
  ms?: number; // initialization and the correctness probe step
  msPerImage?: number; // measured training speed of the chosen model (auto only)
}

export interface BackendReport {
  active: BackendName;
  requested: BackendChoice;
  /** measured: auto timed every working backend; cached: auto reused an earlier ranking;
   *  guessed: auto started at once on its first guess (a first visit; the timing runs beside it). */
  chosenBy: 'measured' | 'cached' | 'guessed' | 'forced' | 'fallback';
  /** The TF.js version it was chosen under (a ranking is remembered with it). */
  tfjs?: string;
  attempts: BackendAttempt[];
  /** Set once WASM has started: the threads its kernels (XNNPACK) run on; 1 is the single-threaded build. */
  threads?: number;
  /** Why WASM runs on one thread (not cross-origin isolated, or the threaded build failed to start). */
  threadsNote?: string;
}

/** Where auto's measurement stands: the backend being timed, its place in the order, and how long
 *  each earlier one took. */
export interface MeasureProgress {
  name: BackendName;
  index: number;
  total: number;
  tookMs: number[];
}

/** The model auto measures with: the run's architecture at a small batch. */
export interface MeasureSpec {
  width: number;
  projector: string;
  imageSize: number;
  /** The architecture the probe times (the run's); absent: the small CNN. */
  backbone?: TrainConfig['backbone'];
  widthMult?: number;
  stem?: TrainConfig['stem'];
  patchSize?: number;
  vitDepth?: number;
  /** WASM threads to start with (config wasmThreads); 0 = one per core. Fixed once WASM started. */
  wasmThreads?: number;
}

/** checkKernels: each gradient kernel training uses, on the active backend against the CPU backend. */
export interface KernelCheckReport {
  backend: string;
  tolerance: number; // max relative error that passes
  ms: number;
  cases: { kernel: string; label: string; error: number; ok: boolean; message?: string }[];
  /** WASM with the kernel pool: every case split over `threads` threads against one, bit for bit. */
  split?: { threads: number; cases: number; differ: number };
}

/** A file the ingest left out, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

export interface DatasetSummary {
  id: string;
  name: string;
  source: string;
  count: number;
  height: number; // stored size of every image
  width: number;
  classes: { name: string; count: number }[]; // empty when unlabeled
  unlabeled: boolean; // no class folders: training works, evaluation does not
  grayscale: boolean; // one channel, or three equal ones: colour augmentations have nothing to act on
  trainCount: number;
  testCount: number;
  skipped: SkippedFile[];
  /** Original sizes before resizing (ingested folders). */
  sizeRange?: { minWidth: number; minHeight: number; maxWidth: number; maxHeight: number };
  /** Bytes in IndexedDB, or a reason it could not be stored (the dataset still works until reload). */
  storedBytes?: number;
  notStored?: string;
  /** Groups of images whose stored pixels are byte for byte the same (folders only). */
  duplicates?: DuplicateGroup[];
}

/** Images that are exact copies of one another once decoded and resized (workers/dataset/duplicates.ts). */
export interface DuplicateGroup {
  paths: string[]; // in ingest order: the first is the one a drop keeps
  classes: string[]; // the distinct classes they are filed under, in order; more than one is a label conflict
}

/** What dropping duplicates does with a group filed under several classes. */
export type ConflictChoice = 'keep-first' | 'drop-all';

/** One file from a folder (input or drop); `file` null marks an empty folder seen while walking. */
export interface IngestFile {
  path: string; // relative, "root/class/name.png"
  file: File | null;
}

export interface IngestProgress {
  done: number; // files looked at
  total: number;
  accepted: number;
  skipped: number;
}

/** A dataset kept in IndexedDB, listed without loading its pixels. */
export interface StoredDataset {
  id: string;
  name: string;
  count: number;
  classes: number;
  size: number; // stored side
  bytes: number;
  createdAt: number; // ms since epoch
  damaged?: string; // the record fails its schema: why (it can only be deleted)
}

/** A few training images, each with its two augmented views, as RGBA bytes for a canvas. */
export interface AugmentPreview {
  size: number; // side of each view
  height: number; // original image size
  width: number;
  items: { label: string; original: Uint8ClampedArray; view1: Uint8ClampedArray; view2: Uint8ClampedArray }[];
}

/** k-NN or linear probe on the test split: the trained encoder against the baselines. */
export interface EvalReport {
  kind: EvalKind;
  settings: string; // the method's settings in words, e.g. "k = 20, T = 0.07"
  featLayer: TrainConfig['featLayer'];
  featPool: FeatPool; // the backbone readout (featLayer 'pool')
  trainCount: number;
  testCount: number;
  step: number; // training step of the evaluated weights
  snapshot: boolean; // the weights were copied from a run still training, which went on
  bnAdaptSteps: number; // BatchNorm adaptation passes before extraction (0 = none)
  classes: string[];
  /** Classes without training or without test images: reported, and left out of nothing else
   *  (top-1 counts the test images there are; a class with no test images has no accuracy). */
  missingClasses: { name: string; train: number; test: number }[];
  /** Which test images were read (a hash of their indices): reports with the same split can be
   *  compared image by image. */
  split?: string;
  rows: {
    name: EvalRowName;
    top1: number;
    top5: number | null;
    dim: number;
    perClass?: number[]; // probe: accuracy per class (NaN for a class with no test images)
    confusion?: number[][]; // probe: [true][predicted] counts
    /** [testCount] 1 where this row's top-1 class is right: the rows of one report share the test
     *  images, so their differences are compared paired (../eval/intervals.ts pairedBootstrap). */
    correct?: Uint8Array;
  }[];
  /** Fine-tune and supervised: the mean training loss per epoch, and the time it all took. */
  curve?: { epoch: number; loss: number }[];
  seconds?: number;
  /** Fine-tune and supervised: epochs and steps trained and their seconds; with a budget (the run's
   *  own training time, for a comparison at equal cost), the budget and the step time it was
   *  planned from. */
  cost?: { epochs: number; steps: number; seconds: number; budgetSeconds?: number; msPerStep?: number; basis?: string };
  cached?: boolean; // the same weights and settings were trained before in this page: that result, at once
}

/** The test features of the trained encoder on their top two principal axes. */
export interface FeatureMap {
  key: string; // the cached features it was drawn from; neighbours() takes it
  step: number;
  snapshot: boolean;
  featLayer: TrainConfig['featLayer'];
  featPool: FeatPool;
  bnAdaptSteps: number;
  classes: string[];
  testCount: number; // test images in the split; at most MAP_POINTS of them are drawn
  explained: [number, number]; // share of the variance along each axis
  points: { x: number; y: number; label: number; test: number }[]; // test: position in the test split
  thumbSize: number; // side of each thumbnail
  thumbs: Uint8ClampedArray[]; // RGBA, one per point
}

/** The k training images nearest (cosine similarity of the features) to one test image. */
export interface NeighbourGallery {
  test: number; // position in the test split
  label: number;
  thumb: Uint8ClampedArray;
  thumbSize: number;
  items: { index: number; label: number; similarity: number; thumb: Uint8ClampedArray }[]; // best first; index: image in the dataset
}

/** New images classified by the evaluated weights: each with its k-NN vote's top classes and its
 *  nearest training images (workers/eval/infer.ts); files that could not be read, with why. */
export interface InferenceResult {
  step: number;
  snapshot: boolean;
  classes: string[];
  k: number; // neighbours that voted
  thumbSize?: number;
  skipped: SkippedFile[];
  items: {
    name: string;
    thumb: Uint8ClampedArray;
    classes: { label: number; p: number }[]; // best first: share of the exp(similarity / T) vote
    probe?: { label: number; p: number }[]; // best first: the linear probe's softmax, once one was trained on these weights
    neighbours: { index: number; label: number; similarity: number; thumb: Uint8ClampedArray }[];
  }[];
}

/** A file the worker made for the user; the UI thread downloads it. */
export interface ExportFile {
  name: string;
  mime: string;
  bytes: Uint8Array;
}

/** The worker's memory as TF.js counts it (tf.memory()), and the WASM heap's size (it grows and
 *  never shrinks, so a flat heap over a long run means no leak inside it). */
export interface WorkerMemory {
  tensors: number;
  bytes: number;
  wasmHeapBytes: number | null;
}

/** A run record in IndexedDB that fails its schema (records.ts): listed so it can be deleted. */
export interface DamagedRun {
  runId: string;
  reason: string;
}

/** What the compare view draws of a stored run: its latest checkpoint's histories and settings. */
export interface RunHistory {
  runId: string;
  name: string;
  config: TrainConfig;
  metrics: MetricRecord[];
  diagnostics: DiagnosticsRecord[];
  knn: KnnRecord[];
  knnBaselines: KnnBaselines | null;
}

/** What IndexedDB holds: the readable runs, newest first, and the damaged ones. */
export interface StoredRuns {
  runs: RunRecord[];
  damaged: DamagedRun[];
}

export type RunState = 'idle' | 'preparing' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export type TrainEvent =
  | { type: 'state'; state: RunState; step: number; totalSteps: number; message?: string; runId?: string }
  | { type: 'history'; records: MetricRecord[]; knn?: KnnRecord[]; knnBaselines?: KnnBaselines; diagnostics?: DiagnosticsRecord[] } // a resumed run's history up to its checkpoint
  | { type: 'knn'; records: KnnRecord[] }
  | { type: 'knn-baselines'; baselines: KnnBaselines }
  | { type: 'budget'; plan: BudgetPlan }
  | { type: 'checkpoint'; info: CheckpointInfo; run: RunRecord }
  | { type: 'checkpoint-error'; message: string }
  | { type: 'metrics'; records: MetricRecord[] }
  | { type: 'diagnostics'; records: DiagnosticsRecord[] }
  | { type: 'warning'; step: number; kind: WarningKind; message: string }
  | { type: 'phases'; report: PhaseReport };

// The worker's calls, one interface per capability, so that each folder's api.ts (workers/backend/,
// dataset/, train/, eval/, checkpoint/) is checked against its own part; workers/worker.ts exposes
// them as one object.

/** Choosing the backend that computes, and what the UI asks of the worker itself. */
export interface BackendApi {
  /** Chooses and initializes a backend; each candidate must run a training step to count. With
   *  'auto' and no `prefer`, every working backend is timed on `spec` and the fastest wins; with
   *  `prefer` (an earlier ranking, measured under TF.js `options.rankedUnder`), the first of those
   *  that works is taken without timing; with `options.guess` and no usable ranking, the first that
   *  works of a guessed order (WebGPU on a real GPU, else WASM), at once.
   *  `exclude`: backends not to try, with the reason shown (a GPU device lost on this page). */
  selectBackend(
    choice: BackendChoice,
    spec: MeasureSpec,
    prefer?: BackendName[],
    exclude?: Partial<Record<BackendName, string>>,
    onProgress?: (p: MeasureProgress) => void,
    options?: { guess?: boolean; rankedUnder?: string },
  ): Promise<BackendReport>;
  /** Runs the gradient kernels on the active backend and on CPU and compares them (not while training). */
  checkKernels(): Promise<KernelCheckReport>;
  /** Answers at once: the UI's heartbeat (src/liveness.ts). */
  ping(): Promise<true>;
  /** What the worker holds now: TF.js tensors and their bytes, and the WASM heap when that backend runs. */
  memory(): Promise<WorkerMemory>;
}

/** The dataset every other call works on, and the ones stored in this browser. */
export interface DatasetApi {
  /** Loads the built-in sample dataset from `baseUrl` (the app's public/ root). */
  loadSample(baseUrl: string, testFraction: number, seed: number): Promise<DatasetSummary>;
  /** Decodes, resizes and stores a folder of images (those given to ingestAdd first, then `files`);
   *  a duplicate (same files) is reused. */
  ingest(
    files: IngestFile[],
    options: { imageSize: number; testFraction: number; seed: number },
    onProgress: (p: IngestProgress) => void,
  ): Promise<DatasetSummary>;
  /** Hands the worker part of a folder's files ahead of `ingest` (a batch a message keeps the page
   *  responsive: src/dataset/batches.ts); `first` forgets the files of an earlier folder. */
  ingestAdd(files: IngestFile[], first: boolean): void;
  cancelIngest(): void;
  /** The loaded folder again without its exact copies (the first of each group kept; a group filed
   *  under several classes as `conflicts` says), stored in place of the old one. */
  dropDuplicates(conflicts: ConflictChoice, testFraction: number, seed: number): Promise<DatasetSummary>;
  listDatasets(): Promise<StoredDataset[]>;
  openDataset(id: string, testFraction: number, seed: number): Promise<DatasetSummary>;
  deleteDataset(id: string): Promise<void>;
  /** Draws the train/test split again (seed or testFraction changed). */
  resplit(testFraction: number, seed: number): Promise<DatasetSummary>;
  /** Up to `count` stored images as RGBA bytes at their stored size. */
  thumbnails(count: number): Promise<{ size: number; images: Uint8ClampedArray[] }>;
  /** Draws two views of `count` training images (one per class first) with the config's recipe;
   *  `draw` picks a new set of random parameters for the same seed. */
  previewAugment(config: TrainConfig, count: number, draw: number): Promise<AugmentPreview>;
}

/** A training run and the controls the UI drives it with. */
export interface TrainApi {
  /** Trains until done or stopped; progress arrives through onEvent. With `from`, continues that
   *  stored run from its latest checkpoint (or `step`) with its own config: the loaded dataset must
   *  be the run's, and the split is drawn again from the run's seed and testFraction. */
  train(config: TrainConfig, onEvent: (e: TrainEvent) => void, from?: { runId: string; step?: number }): Promise<RunState>;
  /** A checkpoint of the running (or paused) run now. */
  saveCheckpoint(): void;
  pause(): void;
  resume(): void;
  stop(): void;
}

/** Evaluation of one set of weights: the last run's (a snapshot while it trains), or a stored checkpoint's. */
export interface EvalApi {
  /** k-NN or linear probe of the last run's encoder (after Stop or the end; while it trains, of a
   *  snapshot of its weights taken now), a random-init encoder of the same architecture and seed,
   *  and raw pixels; progress as (done, total). */
  /** onProgress's phase names a preliminary step (LP-FT fitting its probe first); none for the evaluation itself. */
  evaluate(config: TrainConfig, kind: EvalKind, onProgress: (done: number, total: number, phase?: string) => void): Promise<EvalReport>;
  /** PCA map of the trained encoder's test features (embedded once per weights and cached). */
  featureMap(config: TrainConfig, onProgress: (done: number, total: number) => void): Promise<FeatureMap>;
  /** The k nearest training images of test image `test`, from the features of `key` (a FeatureMap's). */
  neighbours(key: string, test: number, k: number): Promise<NeighbourGallery>;
  /** Classifies new images with the evaluated weights (k-NN vote over the training split) and finds
   *  their nearest training images; at most MAX_INFER_IMAGES per call. */
  infer(files: File[], config: TrainConfig, onProgress: (done: number, total: number) => void): Promise<InferenceResult>;
  /** Cancels every evaluation, feature map included, that is running. */
  cancelEvaluation(): void;
  /** Evaluate (Probe, k-NN, map) this stored checkpoint instead of the last run, until the next
   *  run starts or `null` is passed. Returns the name shown beside the results. */
  evaluateCheckpoint(source: { runId: string; step?: number } | null): Promise<string | null>;
}

/** The runs stored in this browser: listing, comparing, deleting, exporting and importing them. */
export interface CheckpointApi {
  listRuns(): Promise<StoredRuns>;
  /** A stored run's histories (from its latest checkpoint), for comparing runs. */
  runHistory(runId: string): Promise<RunHistory>;
  /** Of `runIds`, those training in another tab of this browser now (they cannot be resumed or deleted here). */
  openRuns(runIds: string[]): Promise<string[]>;
  /** One checkpoint, or the whole run when step is omitted. */
  deleteCheckpoint(runId: string, step?: number): Promise<void>;
  /** The full checkpoint as one zip that `importCheckpoint` (here or in another browser) reads. */
  exportCheckpoint(runId: string, step?: number): Promise<ExportFile>;
  /** Encoder and projector in TF.js layers format, config.json, metrics.csv, README.txt. */
  exportWeights(runId: string, step?: number): Promise<ExportFile>;
  /** A PyTorch project: model.safetensors, optimizer.safetensors, train_vicreg.py, requirements.txt, README.md (workers/torch/project.ts). */
  exportPytorch(runId: string, step?: number): Promise<ExportFile>;
  /** path, split, class and feature vector of every image of the loaded dataset, as CSV. */
  exportEmbeddings(runId: string, step: number | undefined, onProgress: (done: number, total: number) => void): Promise<ExportFile>;
  /** Checks a checkpoint file fully, then stores it as a new run; a refused file leaves storage
   *  untouched. Pass the bytes with Comlink.transfer: they are not needed on the UI side. */
  importCheckpoint(bytes: Uint8Array, fileName: string): Promise<RunRecord>;
}

/** Every image of the loaded dataset embedded once with the weights under evaluation (and, when
 *  asked, a random-init encoder of their architecture): what the embeddings panel maps and curates
 *  (workers/embed/). Arrays are per image, in the dataset's order. */
export interface EmbeddingSet {
  /** The weights and readout the features come from; later calls check they still hold. */
  key: string;
  datasetId: string; // the dataset embedded: another one loaded makes the set stale
  name: string; // "run 3, step 720", or the checkpoint's name
  step: number;
  snapshot: boolean;
  count: number;
  dims: number;
  /** Bytes the features take in the worker (trained and random init). */
  bytes: number;
  featLayer: string;
  classes: string[]; // empty when unlabeled
  labels: Int32Array; // -1 where unlabeled
  split: Uint8Array; // 0 train, 1 test
  names: string[]; // each image's path in its folder (the sample's: "class/index")
  /** Each encoder's features on their first two principal axes, [N, 2] row-major, and the share
   *  of the variance each axis holds. */
  pca: { trained: Float32Array; random: Float32Array | null; explained: [number, number]; explainedRandom: [number, number] | null };
  ms: number;
}

/** What embedding the whole dataset will hold before it starts. */
export interface EmbeddingPlan {
  count: number;
  dims: number;
  /** N × dims × 4 bytes per encoder. */
  bytes: number;
  /** The thumbnails kept for hover and zoom (32 × 32 RGBA at most, per image). */
  atlasBytes: number;
}

export type MapWhich = 'trained' | 'random';

export interface CurationOptions {
  k: number; // neighbours per image in the label vote
  outlierK: number; // neighbours per image in the outlier score
  duplicateThreshold: number; // cosine at or above which two images are near duplicates
  outliers: number; // how many of the top outliers to list
  suspects: number; // how many label suspects to list
}

export interface CurationReport {
  k: number;
  outlierK: number;
  /** Groups of byte-identical images (same decoded pixels). */
  exact: number[][];
  /** Groups linked by cosine ≥ the threshold among each image's k nearest, largest first. */
  near: { members: number[]; minSim: number; maxSim: number }[];
  /** Per image, in [0, 1]: the higher percentile rank of knnDistance and atypicality. */
  outlierScores: Float32Array;
  /** Mean cosine distance to the outlierK nearest, per image. */
  knnDistance: Float32Array;
  /** Length of the centred feature in standard units per dimension (/ sqrt(dims)), per image. */
  atypicality: Float32Array;
  outliers: number[]; // top outliers, highest first
  /** Images whose neighbours' weighted vote names another class, most confident first (labeled data only). */
  suspects: { index: number; given: number; suggested: number; confidence: number }[];
  /** The k-NN vote's class per image (-1 unlabeled data), for colouring the map. */
  predicted: Int32Array;
  ms: number;
}

export interface ClusterReport {
  k: number;
  assign: Int32Array;
  sizes: number[];
  exemplars: number[][];
  silhouette: number;
  inertia: number;
  ms: number;
}

export interface EmbedApi {
  /** Size and memory of embedding every image with the evaluated weights' readout under `config`. */
  embeddingPlan(config: TrainConfig): Promise<EmbeddingPlan>;
  /** Embeds every image (train and test split) with the evaluated weights and, with `withRandom`,
   *  a random-init encoder; keeps the features in the worker; PCA of each. */
  embedAll(
    config: TrainConfig,
    withRandom: boolean,
    onProgress: (done: number, total: number, phase: string) => void,
  ): Promise<EmbeddingSet>;
  /** UMAP of one encoder's features, progressive: onFrame gets the layout ([N, 2]) as it settles. */
  umapLayout(which: MapWhich, onFrame: (coords: Float32Array, epoch: number, epochs: number) => void): Promise<Float32Array>;
  /** Duplicates, outliers, label suspects (on the trained features). */
  curate(options: CurationOptions, onProgress: (done: number, total: number, phase: string) => void): Promise<CurationReport>;
  /** The k images most similar to one image, or to the mean direction of several ("more like this"). */
  similar(indices: number[], k: number, which: MapWhich): Promise<{ indices: number[]; sims: number[] }>;
  /** The k images most similar to a new image (a file given by the user), embedded with the same
   *  weights and readout as the map (without BatchNorm adaptation, as inference). */
  similarToFile(file: File, config: TrainConfig, k: number): Promise<{ name: string; indices: number[]; sims: number[] }>;
  /** Spherical k-means on the trained features. */
  clusters(k: number, seed: number): Promise<ClusterReport>;
  /** Silhouette of k-means for each k, and the best. */
  suggestClusters(
    ks: number[],
    onProgress: (done: number, total: number) => void,
  ): Promise<{ best: number; scores: { k: number; silhouette: number }[] }>;
  /** A diverse subset of m images to label first (k-center greedy). */
  diverseSubset(m: number): Promise<{ picked: number[]; radius: number[] }>;
  /** RGBA thumbnails of these images (at most 32 px a side). */
  thumbs(indices: number[]): Promise<{ size: number; images: Uint8ClampedArray[] }>;
  /** Makes `labels` (one class name per image) the dataset's classes, stored with it in this
   *  browser when it is stored), split again by testFraction and seed; the relabelled summary. */
  applyLabels(labels: string[], testFraction: number, seed: number): Promise<DatasetSummary>;
}

/** Everything the worker answers; the UI holds a Comlink.Remote<WorkerApi> (src/bridge.ts). */
export type WorkerApi = BackendApi & DatasetApi & TrainApi & EvalApi & EmbedApi & CheckpointApi;
