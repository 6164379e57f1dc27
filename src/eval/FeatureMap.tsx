// The trained encoder's test features on their first two principal axes, one dot per image,
// coloured by class. Hover shows the image; a click opens its nearest training images.
import { useState } from 'react';
import type { FeatureMap as MapData } from '../../workers/contract/api';
import { useStore } from '../store';
import { featuresLabel } from '../format';
import { openNeighbours } from './actions';
import { Thumb } from './Thumb';

// Tableau 10, then hues a golden angle apart for more classes.
const TABLEAU = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const classColor = (k: number) => TABLEAU[k] ?? `hsl(${(k * 137.5) % 360} 60% 50%)`;

const W = 440;
const H = 340;
const PAD = 12;

function scale(values: number[], size: number) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  return (v: number) => PAD + ((v - lo) / span) * (size - 2 * PAD);
}

export function FeatureMap({ map }: { map: MapData }) {
  const [hover, setHover] = useState<number | null>(null);
  const selected = useStore((s) => s.gallery.test);
  const sx = scale(
    map.points.map((p) => p.x),
    W,
  );
  const sy = scale(
    map.points.map((p) => -p.y),
    H,
  ); // first axis right, second up
  const h = hover === null ? null : map.points[hover];
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  return (
    <figure className="feature-map" data-testid="feature-map" data-points={map.points.length}>
      <figcaption>
        PCA of {map.points.length === map.testCount ? `the ${map.testCount}` : `${map.points.length} of the ${map.testCount}`} test images'
        features ({featuresLabel(map)}, weights of step {map.step}
        {map.snapshot ? ', a snapshot while training' : ''}
        {map.bnAdaptSteps > 0 ? `, BatchNorm adapted over ${map.bnAdaptSteps} batches` : ''}). The axes hold {pct(map.explained[0])} and{' '}
        {pct(map.explained[1])} of the variance. Hover a dot to see the image; click it for its nearest training images.
      </figcaption>
      <div className="map-area">
        <svg width={W} height={H} role="img" aria-label="feature map" onMouseLeave={() => setHover(null)}>
          <rect x={0} y={0} width={W} height={H} fill="#fafafa" stroke="#e5e7eb" />
          {map.points.map((p, i) => (
            // biome-ignore lint/a11y/noStaticElementInteractions: a dot per test image (hundreds) drawn for the pointer; a tab stop each would bury the page's controls
            <circle
              key={p.test}
              data-testid="map-point"
              data-test={p.test}
              cx={sx(p.x)}
              cy={sy(-p.y)}
              r={p.test === selected ? 6 : 3.5}
              fill={classColor(p.label)}
              stroke={p.test === selected ? '#111' : 'none'}
              opacity={0.85}
              onMouseEnter={() => setHover(i)}
              onClick={() => void openNeighbours(p.test)}
            />
          ))}
        </svg>
        {h && (
          <div className="map-hover" data-testid="map-hover">
            <Thumb
              rgba={map.thumbs[hover!]}
              size={map.thumbSize}
              scale={Math.max(2, Math.floor(64 / map.thumbSize))}
              alt={map.classes[h.label]}
            />
            <span>{map.classes[h.label]}</span>
            <span className="hint">test image {h.test}</span>
          </div>
        )}
      </div>
      <ul className="legend">
        {map.classes.map((name, k) => (
          <li key={k}>
            <span className="swatch" style={{ background: classColor(k) }} />
            {name}
          </li>
        ))}
      </ul>
    </figure>
  );
}
