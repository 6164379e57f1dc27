// A scatter plot of up to 50,000 points in WebGL (one gl.POINTS draw; a 2-D canvas where WebGL is
// missing), with wheel zoom, drag to pan, a lasso, the nearest point under the pointer, and the
// images themselves drawn at their points once few enough are in view (an atlas of thumbnails).
// SVG, as the small PCA map uses, slows to seconds per redraw at this many points.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { GlProbe } from '../../workers/embed/gl-probe';

export interface ScatterProps {
  testId: string;
  label: string; // accessible name of the plot
  coords: Float32Array; // [N, 2] row-major
  layout: string; // another layout (PCA, UMAP) is fitted afresh, whatever the view
  colors: Uint8Array; // [N, 3] RGB
  selected: Uint8Array | null; // [N] 1 = in the selection
  highlight: number | null; // drawn ringed (the image hovered in a twin map or a list)
  width: number;
  height: number;
  onHover: (i: number | null) => void;
  onPick: (i: number) => void;
  onLasso: (indices: number[]) => void;
  lasso: boolean; // drag draws a lasso instead of panning
  thumb: (i: number) => ImageBitmap | null; // null: not loaded yet
  wantThumbs: (indices: number[]) => void; // asks for the thumbnails of the points in view
  thumbsVersion: number; // changes when new thumbnails arrived
}

/** A point is hit within this many CSS pixels. */
const HIT_PX = 8;
/** The atlas draws images once at most this many points are in view. */
const ATLAS_MAX = 250;
const ATLAS_PX = 28;

interface View {
  scale: number; // CSS pixels per data unit
  cx: number; // data coordinates at the canvas centre
  cy: number;
}

function fitView(coords: Float32Array, w: number, h: number): View {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < coords.length; i += 2) {
    x0 = Math.min(x0, coords[i]);
    x1 = Math.max(x1, coords[i]);
    y0 = Math.min(y0, coords[i + 1]);
    y1 = Math.max(y1, coords[i + 1]);
  }
  if (!Number.isFinite(x0)) return { scale: 1, cx: 0, cy: 0 };
  const scale = 0.92 * Math.min(w / (x1 - x0 || 1), h / (y1 - y0 || 1));
  return { scale, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2 };
}

const VERT = `
attribute vec2 a_pos; attribute vec3 a_color; attribute float a_sel;
uniform vec2 u_centre; uniform vec2 u_scale; uniform float u_size;
varying vec3 v_color; varying float v_sel;
void main() {
  gl_Position = vec4((a_pos - u_centre) * u_scale, 0.0, 1.0);
  gl_PointSize = u_size * (a_sel > 0.5 ? 1.8 : 1.0);
  v_color = a_color; v_sel = a_sel;
}`;
const FRAG = `
precision mediump float; varying vec3 v_color; varying float v_sel;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  float r = dot(d, d);
  if (r > 0.25) discard;
  vec3 c = v_sel > 0.5 && r > 0.12 ? vec3(0.07) : v_color;
  gl_FragColor = vec4(c, 0.85);
}`;

interface Gl {
  gl: WebGLRenderingContext;
  program: WebGLProgram;
  buffers: { pos: WebGLBuffer; color: WebGLBuffer; sel: WebGLBuffer };
  /** Looked up once: each lookup is a synchronous round trip to the GPU process. */
  attribs: { a_pos: number; a_color: number; a_sel: number };
  uniforms: { u_centre: WebGLUniformLocation | null; u_scale: WebGLUniformLocation | null; u_size: WebGLUniformLocation | null };
}

const SOFTWARE = /swiftshader|llvmpipe|software/i;
let software: Promise<boolean> | undefined;
/** Whether this browser's WebGL is a software GL (SwiftShader, llvmpipe), asked once. Such a GL
 *  compiles the first draw in the GPU process for hundreds of milliseconds while the page waits
 *  (380 ms for 5,000 points measured here); the raster of ScatterGL is faster there. The question
 *  is asked in a worker of its own (workers/embed/gl-probe.ts): on the page it was a long task. */
export function softwareGl(): Promise<boolean> {
  software ??= new Promise<boolean>((resolve) => {
    let w: Worker;
    try {
      w = new Worker(new URL('../../workers/embed/gl-probe.ts', import.meta.url), { type: 'module', name: 'gl probe' });
    } catch {
      resolve(softwareHere());
      return;
    }
    w.onmessage = (e: MessageEvent<GlProbe>) => {
      w.terminate();
      resolve('unknown' in e.data ? softwareHere() : !!e.data.renderer && SOFTWARE.test(e.data.renderer));
    };
    w.onerror = () => {
      w.terminate();
      resolve(softwareHere());
    };
  });
  return software;
}

/** The same question asked on this thread, of a canvas of its own (a canvas holding a WebGL context
 *  can never give a 2-D one). */
function softwareHere(): boolean {
  const gl = document.createElement('canvas').getContext('webgl');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  const sw = !!gl && !!info && SOFTWARE.test(String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)));
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return sw;
}

function makeGl(canvas: HTMLCanvasElement, software: boolean): Gl | null {
  if (software) return null;
  const gl = canvas.getContext('webgl', { antialias: true, premultipliedAlpha: false, preserveDrawingBuffer: true });
  if (!gl) return null;
  const shader = (type: number, src: string) => {
    const s = gl.createShader(type)!;
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`map shader: ${gl.getShaderInfoLog(s)}`);
    return s;
  };
  const program = gl.createProgram()!;
  gl.attachShader(program, shader(gl.VERTEX_SHADER, VERT));
  gl.attachShader(program, shader(gl.FRAGMENT_SHADER, FRAG));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) return null;
  return {
    gl,
    program,
    buffers: { pos: gl.createBuffer()!, color: gl.createBuffer()!, sel: gl.createBuffer()! },
    attribs: {
      a_pos: gl.getAttribLocation(program, 'a_pos'),
      a_color: gl.getAttribLocation(program, 'a_color'),
      a_sel: gl.getAttribLocation(program, 'a_sel'),
    },
    uniforms: {
      u_centre: gl.getUniformLocation(program, 'u_centre'),
      u_scale: gl.getUniformLocation(program, 'u_scale'),
      u_size: gl.getUniformLocation(program, 'u_size'),
    },
  };
}

export function ScatterGL(p: ScatterProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const glRef = useRef<Gl | null | undefined>(undefined);
  const [view, setView] = useState<View>(() => fitView(p.coords, p.width, p.height));
  const userMoved = useRef(false);
  const fitted = useRef(`${p.layout}|${p.coords.length}`);
  const drag = useRef<{ x: number; y: number; view: View; moved: boolean; path: [number, number][] } | null>(null);
  const n = p.coords.length / 2;
  const dpr = typeof devicePixelRatio === 'number' ? devicePixelRatio : 1;

  // Each frame of a layout settling is fitted to the canvas until the user zooms or pans; another
  // layout or another set of points is fitted again whatever the view. What the first view was
  // fitted to is not fitted twice (a second view object would draw the map a second time).
  const fittedTo = useRef<[Float32Array, number, number]>([p.coords, p.width, p.height]);
  useEffect(() => {
    const key = `${p.layout}|${p.coords.length}`;
    if (fitted.current !== key) userMoved.current = false;
    fitted.current = key;
    const [c, w, h] = fittedTo.current;
    if (c === p.coords && w === p.width && h === p.height) return;
    fittedTo.current = [p.coords, p.width, p.height];
    if (!userMoved.current) setView(fitView(p.coords, p.width, p.height));
  }, [p.coords, p.width, p.height, p.layout]);

  const toScreen = useCallback(
    (i: number): [number, number] => [
      p.width / 2 + (p.coords[2 * i] - view.cx) * view.scale,
      p.height / 2 - (p.coords[2 * i + 1] - view.cy) * view.scale,
    ],
    [p.coords, p.width, p.height, view],
  );

  // Draw the points, in a task of their own: a map mounting beside its twin, or redrawn as a list
  // arrives, then never adds its draw to the page's rendering of the rest (each draw is 10-30 ms
  // of raster at 5,000 points under a software GL).
  // biome-ignore lint/correctness/useExhaustiveDependencies: draw reads these (and nothing else that changes)
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    let live = true;
    const task = setTimeout(() => void softwareGl().then((sw) => live && draw(c, sw)), 0);
    return () => {
      live = false;
      clearTimeout(task);
    };
  }, [p.coords, p.colors, p.selected, view, n, p.width, p.height, dpr]);
  const draw = (c: HTMLCanvasElement, software: boolean) => {
    if (glRef.current === undefined) glRef.current = makeGl(c, software);
    const g = glRef.current;
    if (g) {
      const { gl, program, buffers, attribs, uniforms } = g;
      gl.viewport(0, 0, c.width, c.height);
      gl.clearColor(0.98, 0.98, 0.98, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
      // biome-ignore lint/correctness/useHookAtTopLevel: WebGL's useProgram, not a React hook
      gl.useProgram(program);
      const attrib = (loc: number, buf: WebGLBuffer, data: ArrayBufferView, size: number, type: number, normalized: boolean) => {
        gl.bindBuffer(gl.ARRAY_BUFFER, buf);
        gl.bufferData(gl.ARRAY_BUFFER, data, gl.DYNAMIC_DRAW);
        gl.enableVertexAttribArray(loc);
        gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
      };
      attrib(attribs.a_pos, buffers.pos, p.coords, 2, gl.FLOAT, false);
      attrib(attribs.a_color, buffers.color, p.colors, 3, gl.UNSIGNED_BYTE, true);
      attrib(attribs.a_sel, buffers.sel, p.selected ?? new Uint8Array(n), 1, gl.UNSIGNED_BYTE, false);
      gl.uniform2f(uniforms.u_centre, view.cx, view.cy);
      gl.uniform2f(uniforms.u_scale, (2 * view.scale) / p.width, (2 * view.scale) / p.height);
      gl.uniform1f(uniforms.u_size, (n > 10_000 ? 3 : 5) * dpr);
      gl.drawArrays(gl.POINTS, 0, n);
    } else {
      // Without WebGL: squares written straight into the pixels and put once. A fillRect per
      // point with its own fillStyle took 0.9 s for 5,000 points on a GPU-backed canvas.
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      const [w, h] = [c.width, c.height];
      const img = ctx.createImageData(w, h);
      const px = new Uint32Array(img.data.buffer);
      px.fill(0xfffafafa); // ABGR (little-endian): #fafafa, opaque
      const { coords, colors, selected } = p;
      const [ox, oy, k] = [(p.width / 2 - view.cx * view.scale) * dpr, (p.height / 2 + view.cy * view.scale) * dpr, view.scale * dpr];
      const [r0, r1] = [Math.round(2 * dpr), Math.round(3 * dpr)];
      for (let i = 0; i < n; i++) {
        const x0 = Math.round(ox + coords[2 * i] * k);
        const y0 = Math.round(oy - coords[2 * i + 1] * k);
        const r = selected?.[i] ? r1 : r0;
        if (x0 + r <= 0 || y0 + r <= 0 || x0 - r >= w || y0 - r >= h) continue;
        const colour = (255 << 24) | (colors[3 * i + 2] << 16) | (colors[3 * i + 1] << 8) | colors[3 * i];
        const [xa, xb, yb] = [Math.max(0, x0 - r), Math.min(w, x0 + r), Math.min(h, y0 + r)];
        for (let y = Math.max(0, y0 - r); y < yb; y++) px.fill(colour, y * w + xa, y * w + xb);
      }
      ctx.putImageData(img, 0, 0);
    }
    c.dataset.drawn = String(n);
    c.dataset.renderer = g ? 'webgl' : '2d';
  };

  // The points in view, and their images once few enough are.
  const inView = useCallback((): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n && out.length <= ATLAS_MAX; i++) {
      const [x, y] = toScreen(i);
      if (x >= 0 && y >= 0 && x <= p.width && y <= p.height) out.push(i);
    }
    return out;
  }, [n, toScreen, p.width, p.height]);

  const { wantThumbs, thumb, highlight } = p;
  // biome-ignore lint/correctness/useExhaustiveDependencies: thumbsVersion redraws the atlas as its images arrive
  useEffect(() => {
    const o = overlay.current;
    if (!o) return;
    // A software canvas: drawing on it never waits on the GPU process, which may be busy compiling
    // the points' first draw.
    const ctx = o.getContext('2d', { willReadFrequently: true })!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, p.width, p.height);
    const visible = inView();
    const atlas = visible.length <= ATLAS_MAX;
    o.dataset.atlas = atlas ? String(visible.length) : '0';
    if (atlas) {
      const missing = visible.filter((i) => !thumb(i));
      if (missing.length) wantThumbs(missing);
      for (const i of visible) {
        const img = thumb(i);
        if (!img) continue;
        const [x, y] = toScreen(i);
        ctx.drawImage(img, x - ATLAS_PX / 2, y - ATLAS_PX / 2, ATLAS_PX, ATLAS_PX);
      }
    }
    if (highlight !== null && highlight < n) {
      const [x, y] = toScreen(highlight);
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const path = drag.current?.path;
    if (path && path.length > 1) {
      ctx.strokeStyle = '#2563eb';
      ctx.fillStyle = 'rgba(37, 99, 235, 0.08)';
      ctx.beginPath();
      ctx.moveTo(...path[0]);
      for (const q of path.slice(1)) ctx.lineTo(...q);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
    }
  }, [inView, toScreen, thumb, wantThumbs, highlight, p.thumbsVersion, dpr, p.width, p.height, n, view]);

  const nearest = (x: number, y: number): number | null => {
    let best = -1;
    let bestD = HIT_PX * HIT_PX;
    for (let i = 0; i < n; i++) {
      const [sx, sy] = toScreen(i);
      const d = (sx - x) ** 2 + (sy - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best < 0 ? null : best;
  };

  const local = (e: React.PointerEvent): [number, number] => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  const [lassoTick, setLassoTick] = useState(0);
  const onPointerDown = (e: React.PointerEvent) => {
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    const [x, y] = local(e);
    drag.current = { x, y, view, moved: false, path: [[x, y]] };
  };
  const onPointerMove = (e: React.PointerEvent) => {
    const [x, y] = local(e);
    const d = drag.current;
    if (!d) return p.onHover(nearest(x, y));
    if (Math.abs(x - d.x) + Math.abs(y - d.y) > 3) d.moved = true;
    if (p.lasso) {
      d.path.push([x, y]);
      setLassoTick(lassoTick + 1);
    } else {
      userMoved.current = true;
      setView({ ...d.view, cx: d.view.cx - (x - d.x) / d.view.scale, cy: d.view.cy + (y - d.y) / d.view.scale });
    }
  };
  const onPointerUp = (e: React.PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d) return;
    const [x, y] = local(e);
    if (!d.moved) {
      const i = nearest(x, y);
      if (i !== null) p.onPick(i);
      return;
    }
    if (p.lasso && d.path.length > 2) p.onLasso(insidePolygon(d.path, n, toScreen));
    setLassoTick(lassoTick + 1);
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault(); // zoom the map, not scroll the page
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const [x, y] = [e.clientX - r.left, e.clientY - r.top];
    const k = Math.exp(-e.deltaY * 0.0015);
    // The data point under the pointer stays under it.
    const dx = view.cx + (x - p.width / 2) / view.scale;
    const dy = view.cy - (y - p.height / 2) / view.scale;
    const scale = view.scale * k;
    userMoved.current = true;
    setView({ scale, cx: dx - (x - p.width / 2) / scale, cy: dy + (y - p.height / 2) / scale });
  };

  // React's wheel listener is passive (it cannot stop the page scrolling): a native one is not.
  const wheel = useRef(onWheel);
  wheel.current = onWheel;
  useEffect(() => {
    const o = overlay.current;
    if (!o) return;
    const f = (e: WheelEvent) => wheel.current(e);
    o.addEventListener('wheel', f, { passive: false });
    return () => o.removeEventListener('wheel', f);
  }, []);

  return (
    <div className="scatter" style={{ width: p.width, height: p.height }} data-testid={p.testId}>
      <canvas
        ref={canvas}
        width={p.width * dpr}
        height={p.height * dpr}
        style={{ width: p.width, height: p.height }}
        data-testid={`${p.testId}-canvas`}
      />
      <canvas
        ref={overlay}
        role="img"
        aria-label={p.label}
        width={p.width * dpr}
        height={p.height * dpr}
        style={{ width: p.width, height: p.height, cursor: p.lasso ? 'crosshair' : 'grab', touchAction: 'none' }}
        data-testid={`${p.testId}-overlay`}
        data-view={JSON.stringify(view)}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => !drag.current && p.onHover(null)}
        onDoubleClick={() => {
          userMoved.current = false;
          setView(fitView(p.coords, p.width, p.height));
        }}
      />
    </div>
  );
}

/** The points whose screen position lies inside the polygon (even-odd rule), bounding box first. */
export function insidePolygon(path: [number, number][], n: number, toScreen: (i: number) => [number, number]): number[] {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of path) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y] = toScreen(i);
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    let inside = false;
    for (let a = 0, b = path.length - 1; a < path.length; b = a++) {
      const [xa, ya] = path[a];
      const [xb, yb] = path[b];
      if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
    }
    if (inside) out.push(i);
  }
  return out;
}
