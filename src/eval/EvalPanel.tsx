import { type ReactNode, useMemo } from 'react';
import type { EvalKind, EvalReport } from '../../workers/contract/api';
import { pairedBootstrap, verdict, wilson } from '../../workers/eval/intervals';
import { featuresLabel, formatDuration, percent } from '../format';
import { TaskProgress } from '../progress';
import { useStore, type Store } from '../store';
import { evaluating, evaluationBlocked, mapping, runTraining } from '../store/selectors';
import { cancelEvaluation, drawFeatureMap, evaluateCheckpoint, runEvaluation } from './actions';
import { FeatureMap } from './FeatureMap';
import { NeighbourGallery } from './NeighbourGallery';
import { RepeatSection } from './Repeat';

const TITLE: Record<EvalKind, string> = {
  knn: 'Weighted k-NN',
  probe: 'Linear probe',
  finetune: 'Fine-tune',
  supervised: 'Supervised from scratch',
};

/** Which weights the buttons evaluate. While training, the worker copies the weights when a
 *  button is pressed (workers/eval/session.ts takeWeights) and the run goes on. */
function mode(s: Store): string | null {
  if (s.evalSourceName) return `Evaluates the stored checkpoint of ${s.evalSourceName}.`;
  if (runTraining(s)) {
    const goesOn = s.runState === 'running' ? 'training continues, slower while both share the worker' : 'the run stays paused';
    return `Evaluating a snapshot of the weights at the step you press a button (now step ${s.step}); ${goesOn}.`;
  }
  if (s.runState === 'done' || s.runState === 'stopped')
    return `Evaluates the weights of the ${s.runState === 'done' ? 'finished' : 'stopped'} run (step ${s.step}).`;
  return null;
}

function MissingClasses({ report }: { report: EvalReport }) {
  if (report.missingClasses.length === 0) return null;
  const noTest = report.missingClasses.filter((k) => k.test === 0);
  const noTrain = report.missingClasses.filter((k) => k.train === 0 && k.test > 0);
  const list = (ks: EvalReport['missingClasses'], count: (k: EvalReport['missingClasses'][number]) => string) =>
    ks.map((k) => `${k.name}${count(k)}`).join(', ');
  return (
    <p className="warning" data-testid="missing-classes">
      {noTest.length > 0 && (
        <>
          No test images (no accuracy for them; top-1 counts the other classes' test images):{' '}
          {list(noTest, (k) => ` (${k.train} training)`)}.{' '}
        </>
      )}
      {noTrain.length > 0 && (
        <>No training images (k-NN cannot predict them, the probe never learns them): {list(noTrain, (k) => ` (${k.test} test)`)}.</>
      )}
    </p>
  );
}

function Confusion({ report }: { report: EvalReport }) {
  // The probe's trained row, or the baseline's only row.
  const row = report.rows.find((r) => r.name === 'trained') ?? (report.rows.length === 1 ? report.rows[0] : undefined);
  if (!row?.confusion) return null;
  const max = Math.max(...row.confusion.flat());
  return (
    <details className="confusion" data-testid={`${report.kind}-confusion`}>
      <summary>Per-class accuracy and confusion matrix ({row.name === 'trained' ? 'this run' : row.name})</summary>
      <table>
        <thead>
          <tr>
            <th>true \ predicted</th>
            {report.classes.map((c, j) => (
              <th key={j} title={c}>
                {j}
              </th>
            ))}
            <th>accuracy</th>
          </tr>
        </thead>
        <tbody>
          {row.confusion.map((counts, i) => (
            <tr key={i}>
              <th>
                {i} {report.classes[i]}
              </th>
              {counts.map((v, j) => (
                <td key={j} style={{ background: `rgba(37, 99, 235, ${max ? v / max : 0})`, color: v / max > 0.5 ? 'white' : undefined }}>
                  {v}
                </td>
              ))}
              <td>{Number.isNaN(row.perClass![i]) ? 'no test images' : percent(row.perClass![i])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Results({ kind }: { kind: EvalKind }) {
  const e = useStore((s) => s.evaluation[kind]);
  const probe = useStore((s) => s.evaluation.probe.report);
  // The paired column: against VICReg's row of the same table (k-NN, probe), or, for a baseline
  // (fine-tune, supervised), against the linear probe's VICReg row where it read the same test images.
  const trained = e.report?.rows.find((r) => r.name === 'trained');
  const probeTrained =
    e.report?.curve && probe?.split && probe.split === e.report.split ? probe.rows.find((r) => r.name === 'trained') : undefined;
  const pairWith = trained?.correct && e.report!.rows.length > 1 ? trained : probeTrained?.correct ? probeTrained : null;
  return (
    <>
      {e.progress && (
        <TaskProgress testId={`${kind}-progress`} title={TITLE[kind]} progress={e.progress} onCancel={() => void cancelEvaluation()} />
      )}
      {e.error && (
        <p className="error" data-testid={`${kind}-error`}>
          {TITLE[kind]}: {e.error}
        </p>
      )}
      {e.report && (
        <>
          <table className="results" data-testid={`${kind}-accuracy`}>
            <caption>
              {TITLE[kind]} ({e.report.settings}) on {e.report.testCount} test images against {e.report.trainCount} training images;
              features: {featuresLabel(e.report)}, weights of step {e.report.step}
              {e.report.snapshot ? ' (a snapshot taken while training)' : ''}
              {e.report.bnAdaptSteps > 0 ? `, BatchNorm statistics adapted over ${e.report.bnAdaptSteps} batches` : ''}
            </caption>
            <thead>
              <tr>
                <th>Features</th>
                <th>dim</th>
                <th>top-1</th>
                <th title="Wilson score interval for a proportion: where the top-1 of this encoder would fall for 95 of 100 test sets of this size drawn like this one">
                  95% interval
                </th>
                <th>top-5</th>
                {pairWith && (
                  <th title="VICReg's top-1 (for a baseline: VICReg's linear probe on the same test images) minus this row's, with its 95% interval from a paired bootstrap over the shared test images; a verdict only when the interval leaves out zero">
                    {pairWith === trained ? 'VICReg − row' : 'VICReg probe − row'}
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {e.report.rows.map((r) => (
                <tr key={r.name} data-row={r.name} data-top1={r.top1}>
                  <td>{r.name === 'trained' ? 'VICReg (this run)' : r.name}</td>
                  <td>{r.dim}</td>
                  <td>{percent(r.top1)}</td>
                  <Top1Interval top1={r.top1} n={e.report!.testCount} />
                  <td>{percent(r.top5)}</td>
                  {pairWith && <PairedCell trained={pairWith} row={r} />}
                </tr>
              ))}
            </tbody>
          </table>
          {e.report.cost && <Cost cost={e.report.cost} testId={`${kind}-cost`} />}
          {e.report.curve && (
            <p className="hint" data-testid={`${kind}-curve`} data-seconds={e.report.seconds}>
              Training loss by epoch: {curveText(e.report.curve)}
              {e.report.seconds !== undefined
                ? ` (took ${formatDuration(1000 * e.report.seconds)}${e.report.cached ? '; the result kept from then' : ''})`
                : ''}
            </p>
          )}
          <MissingClasses report={e.report} />
          {kind !== 'knn' && <Confusion report={e.report} />}
        </>
      )}
    </>
  );
}

type Row = EvalReport['rows'][number];

/** The loss by epoch, its first and last few where there are many. */
function curveText(curve: NonNullable<EvalReport['curve']>): string {
  const text = (p: { loss: number }) => p.loss.toFixed(3);
  if (curve.length <= 12) return curve.map(text).join(' → ');
  return `${curve.slice(0, 6).map(text).join(' → ')} → … → ${curve.slice(-5).map(text).join(' → ')}`;
}

/** What a baseline cost, and what it was made equal to. */
function Cost({ cost, testId }: { cost: NonNullable<EvalReport['cost']>; testId: string }) {
  const trained = `${cost.epochs} ${cost.epochs === 1 ? 'epoch' : 'epochs'}, ${cost.steps} steps, ${formatDuration(1000 * cost.seconds)} of training`;
  const equal =
    cost.budgetSeconds !== undefined
      ? `the same time as ${cost.basis ?? 'the budget'} (${formatDuration(1000 * cost.budgetSeconds)}), its epochs set from ${cost.msPerStep?.toFixed(0)} ms a step timed over its first steps`
      : `epochs from ${cost.basis ?? 'baselineEpochs'}`;
  return (
    <p
      className="hint"
      data-testid={testId}
      data-epochs={cost.epochs}
      data-steps={cost.steps}
      data-seconds={cost.seconds}
      data-budget-seconds={cost.budgetSeconds}
    >
      Cost: {trained}; equal to {equal}.
    </p>
  );
}

/** VICReg's row against another of the same report: the difference, its paired 95% interval over
 *  the shared test images, and a verdict only where the interval leaves out zero. */
function PairedCell({ trained, row }: { trained: Row; row: Row }) {
  const d = useMemo(
    () => (row === trained || !trained.correct || !row.correct ? null : pairedBootstrap(trained.correct, row.correct)),
    [trained, row],
  );
  if (!d) return <td>–</td>;
  const pts = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)}`;
  const says = verdict(d);
  return (
    <td data-testid="paired-difference" data-diff={d.diff} data-lo={d.lo} data-hi={d.hi} data-verdict={says}>
      {pts(d.diff)} ({pts(d.lo)} to {pts(d.hi)}):{' '}
      {says === 'within noise' ? 'within noise' : says === 'higher' ? 'VICReg higher' : 'VICReg lower'}
    </td>
  );
}

/** The 95% interval of a top-1 measured on `n` test images (Wilson, ../../workers/eval/intervals.ts):
 *  one run on a few hundred images carries several points either way. */
function Top1Interval({ top1, n }: { top1: number; n: number }) {
  const w = wilson(Math.round(top1 * n), n);
  return (
    <td data-testid="top1-interval" data-lo={w.lo} data-hi={w.hi}>
      {(100 * w.lo).toFixed(1)}–{percent(w.hi)}
    </td>
  );
}

function MapSection() {
  const m = useStore((s) => s.featureMap);
  return (
    <>
      {m.progress && (
        <TaskProgress testId="map-progress" title="Feature map" progress={m.progress} onCancel={() => void cancelEvaluation()} />
      )}
      {m.error && <p className="error">Feature map: {m.error}</p>}
      {m.map && <FeatureMap map={m.map} />}
      {m.map && <NeighbourGallery classes={m.map.classes} />}
    </>
  );
}

/** Runs one of the four evaluations; they run one at a time. */
function RunButton({
  kind,
  off,
  primary,
  title,
  children,
}: {
  kind: EvalKind;
  off: boolean;
  primary?: boolean;
  title?: string;
  children: ReactNode;
}) {
  return (
    <button
      data-testid={`${kind}-run`}
      className={primary ? 'primary' : undefined}
      disabled={off}
      title={title}
      onClick={() => void runEvaluation(kind)}
    >
      {children}
    </button>
  );
}

export function EvalPanel() {
  const reason = useStore(evaluationBlocked);
  const note = useStore(mode);
  const busy = useStore(evaluating);
  const drawing = useStore(mapping);
  const source = useStore((s) => s.evalSourceName);
  const off = reason !== null || busy;
  return (
    <section className="panel eval" data-testid="eval-panel">
      <h2>Evaluate</h2>
      <div className="controls">
        <RunButton kind="probe" off={off} primary>
          Linear probe
        </RunButton>
        <RunButton kind="knn" off={off} primary>
          k-NN
        </RunButton>
        <button data-testid="map-run" disabled={reason !== null || drawing} onClick={() => void drawFeatureMap()}>
          Feature map
        </button>
        <RunButton
          kind="finetune"
          off={off}
          title="Baseline: this run's encoder and a linear head trained end to end (the backbone at a tenth of the head's learning rate), as long as the run trained (baselineEpochs = 0) or baselineEpochs epochs"
        >
          Fine-tune
        </RunButton>
        <RunButton
          kind="supervised"
          off={off}
          title="Baseline: the same architecture from a random init, trained with labels (cross-entropy), as long as the run trained (baselineEpochs = 0) or baselineEpochs epochs"
        >
          Supervised
        </RunButton>
        {reason && (
          <span className="hint" data-testid="eval-blocked">
            {reason}
          </span>
        )}
        {!reason && note && (
          <span className="hint" data-testid="eval-mode">
            {note}
          </span>
        )}
        {source && (
          <button className="link" onClick={() => void evaluateCheckpoint(null)}>
            Use the last run instead
          </button>
        )}
      </div>
      <Results kind="probe" />
      <Results kind="knn" />
      <Results kind="finetune" />
      <Results kind="supervised" />
      <MapSection />
      <RepeatSection />
    </section>
  );
}
