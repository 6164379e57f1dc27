// Images of the dataset by index, drawn from the thumbnails the worker sends (./actions.ts).
import { useEffect, useState } from 'react';
import { onThumbs, thumbCanvas, wantThumbs } from './actions';

const urls = new WeakMap<HTMLCanvasElement, string>();
const urlOf = (c: HTMLCanvasElement) => {
  let u = urls.get(c);
  if (!u) {
    u = c.toDataURL();
    urls.set(c, u);
  }
  return u;
};

/** Re-renders when new thumbnails arrive. */
export function useThumbVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => onThumbs(setV), []);
  return v;
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
}: {
  items: GridItem[];
  names: string[];
  testId: string;
  onPick?: (index: number) => void;
  size?: number;
}) {
  useThumbVersion();
  const key = items.map((i) => i.index).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the indices
  useEffect(() => {
    void wantThumbs(items.map((i) => i.index));
  }, [key]);
  return (
    <ul className="thumb-grid" data-testid={testId}>
      {items.map((it) => {
        const c = thumbCanvas(it.index);
        return (
          <li key={it.index} data-index={it.index} data-name={names[it.index]} title={it.title ?? names[it.index]}>
            <button className="thumb-button" onClick={() => onPick?.(it.index)} aria-label={`${names[it.index]}: ${it.caption}`}>
              {c ? (
                <img src={urlOf(c)} width={size} height={size} alt="" />
              ) : (
                <span className="thumb-missing" style={{ width: size, height: size }} />
              )}
            </button>
            <span className="caption">{it.caption}</span>
          </li>
        );
      })}
    </ul>
  );
}
