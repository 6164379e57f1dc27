import { useMemo } from 'react';

/** RGBA bytes as a PNG data URL, once per array (the map's hover and the gallery redraw often). */
const urls = new WeakMap<Uint8ClampedArray, string>();
export function rgbaUrl(rgba: Uint8ClampedArray, size: number): string {
  let url = urls.get(rgba);
  if (!url) {
    const c = document.createElement('canvas');
    c.width = c.height = size;
    c.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), size, size), 0, 0);
    url = c.toDataURL();
    urls.set(rgba, url);
  }
  return url;
}

export function Thumb({ rgba, size, scale = 2, alt }: { rgba: Uint8ClampedArray; size: number; scale?: number; alt: string }) {
  const src = useMemo(() => rgbaUrl(rgba, size), [rgba, size]);
  return <img className="thumb" src={src} width={size * scale} height={size * scale} alt={alt} />;
}
