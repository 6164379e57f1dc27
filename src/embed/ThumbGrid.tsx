// Images of the dataset by index, drawn from the thumbnails the worker sends (./actions.ts).
import { useEffect, useRef, useState } from 'react';
import { onThumbs, thumbBitmap, wantThumbs } from './actions';

/** Re-renders when new thumbnails arrive. */
export function useThumbVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => onThumbs(setV), []);
  return v;
}

/** Image `index` at `size` CSS pixels, drawn from its ImageBitmap once it has arrived. */
export function BitmapThumb({ index, size, label }: { index: number; size: number; label: string }) {
  useThumbVersion();
  const ref = useRef<HTMLCanvasElement>(null);
  const bitmap = thumbBitmap(index);
  useEffect(() => {
    const c = ref.current;
    if (!c || !bitmap) return;
    const ctx = c.getContext('2d', { willReadFrequently: true })!; // software: never waits on the GPU process
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.drawImage(bitmap, 0, 0, c.width, c.height);
  }, [bitmap]);
  // Inside a button that names the image, the picture itself is decoration.
  const a11y = label ? { role: 'img', 'aria-label': label } : { 'aria-hidden': true };
  return <canvas ref={ref} className="thumb" width={size} height={size} {...a11y} data-loaded={bitmap ? '1' : '0'} />;
}

export interface GridItem {
  index: number;
  caption: string;
  title?: string;
}

export function ThumbGrid({
  items,
  names,
  testId,
  onPick,
  size = 48,
  max = 48,
}: {
  items: GridItem[];
  names: string[];
  testId: string;
  onPick?: (index: number) => void;
  size?: number;
  /** Items drawn at most (a chained duplicate group can hold thousands); the rest are counted. */
  max?: number;
}) {
  const more = items.length - max;
  if (more > 0) items = items.slice(0, max);
  const key = items.map((i) => i.index).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the indices
  useEffect(() => {
    void wantThumbs(items.map((i) => i.index));
  }, [key]);
  return (
    <ul className="thumb-grid" data-testid={testId}>
      {items.map((it) => {
        return (
          <li key={it.index} data-index={it.index} data-name={names[it.index]} title={it.title ?? names[it.index]}>
            <button className="thumb-button" onClick={() => onPick?.(it.index)} aria-label={`${names[it.index]}: ${it.caption}`}>
              <BitmapThumb index={it.index} size={size} label="" />
            </button>
            <span className="caption">{it.caption}</span>
          </li>
        );
      })}
      {more > 0 && <li className="hint">and {more.toLocaleString('en')} more</li>}
    </ul>
  );
}
