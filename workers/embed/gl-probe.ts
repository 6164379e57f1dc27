// Which WebGL this browser has, asked off the page's thread. Making a WebGL context and reading its
// renderer is a synchronous round trip to the GPU process: 76 ms under SwiftShader here, a long task
// had the page asked it. Answers { renderer } (null: no WebGL), or { unknown } where a worker cannot
// make a WebGL context of its own (no OffscreenCanvas), for the page to ask itself.
export type GlProbe = { renderer: string | null } | { unknown: true };

const reply = (m: GlProbe) => postMessage(m);
if (typeof OffscreenCanvas === 'undefined') reply({ unknown: true });
else {
  const gl = new OffscreenCanvas(1, 1).getContext('webgl');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  reply({ renderer: gl ? String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) : null });
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
}
