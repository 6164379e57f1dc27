// The studio's hand-written WASM SIMD kernels: direct convolution (forward, filter gradient) and
// BatchNorm + ReLU in training mode (forward and backward), for the shapes of small conv nets where
// TF.js 4.22's WASM backend loses most of its time (docs/performance.md): its filter gradient had
// to pack a [B·Ho·Wo, Co] operand for XNNPACK at every call, and BatchNorm + ReLU was a dozen
// elementwise passes. Built by tools/build-kernels.sh (clang 19) into four modules: plain SIMD and
// relaxed SIMD (f32x4.relaxed_madd, a fused multiply-add where the CPU has one), each for the
// single-threaded and the threaded (shared memory) TF.js build. They import TF.js's own memory and
// read and write tensors in place at the offsets TF.js gives; they use no stack, no globals and no
// data of their own (workers/backend/wasm/native/module.test.ts checks the binaries for that).
//
// Layouts are TF.js's: NHWC activations, filters [kh, kw, Ci, Co], BatchNorm over the leading axes
// of [N, C]. Every count is in floats; channels that are not a multiple of 4 take scalar tails.
//
// Every kernel but sgd_step takes its share of the work as its last two arguments, the units
// [u0, u1) (each kernel says what a unit is): native/pool.ts splits one call over threads by
// ranges of units. A unit's outputs are computed in the same order whichever range holds it (no
// sum crosses units), so a split call writes the same bits as the whole range on one thread.
#include <wasm_simd128.h>

typedef v128_t v4;

#ifdef RELAXED
// a·b + c, fused where the CPU has an FMA (implementation-defined rounding: relaxed SIMD).
#define MADD(a, b, c) wasm_f32x4_relaxed_madd((a), (b), (c))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

// ---------------------------------------------------------------------------------------------
// Conv2D, NHWC, direct: y[b, oy, ox, co] = Σ_{i, j, ci} x[b, oy·sh + i − pt, ox·sw + j − pl, ci] ·
// w[i, j, ci, co], zero outside x. A register tile holds MR output positions of one row times
// NR·4 output channels; the reduction runs over the valid taps and the input channels, with x
// broadcast one value at a time and w read as vectors (the outer-product form: no im2col, no
// packing). Positions whose taps all fall inside x go MR at a time; the border ones one at a time.

/**
 * One tile of MR positions along a row (their inputs xs floats apart) whose taps all fall inside
 * x: in NHWC a tap row's kw·Ci inputs of one position are contiguous, and so are the filter's rows
 * for them, so the reduction over (j, ci) is one loop of kw·Ci.
 */
#define CONV_TILE(MR, NR)                                                                                   \
  INLINE void conv_tile_##MR##_##NR(const float *px, int xs, int rowStride, const float *pw, int Co, int kh,   \
                                    int span, float *py, int ys) {                                          \
    v4 acc[MR][NR];                                                                                         \
    for (int m = 0; m < MR; m++)                                                                            \
      for (int n = 0; n < NR; n++) acc[m][n] = wasm_f32x4_splat(0.f);                                       \
    for (int r = 0; r < kh; r++) {                                                                          \
      const float *xr = px + r * rowStride;                                                                 \
      const float *wr = pw + r * span * Co;                                                                 \
      for (int k = 0; k < span; k++) {                                                                      \
        v4 wv[NR];                                                                                          \
        for (int n = 0; n < NR; n++) wv[n] = wasm_v128_load(wr + k * Co + 4 * n);                            \
        for (int m = 0; m < MR; m++) {                                                                      \
          v4 xv = wasm_v128_load32_splat(xr + m * xs + k);                                                  \
          for (int n = 0; n < NR; n++) acc[m][n] = MADD(xv, wv[n], acc[m][n]);                              \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
    for (int m = 0; m < MR; m++)                                                                            \
      for (int n = 0; n < NR; n++) wasm_v128_store(py + m * ys + 4 * n, acc[m][n]);                          \
  }

CONV_TILE(4, 2)
CONV_TILE(4, 1)

/** The scalar channel tail [co0, Co) of one position whose taps all fall inside x. */
INLINE void conv_scalar(const float *px, int rowStride, const float *pw, int Co, int kh, int span, float *py, int co0) {
  for (int co = co0; co < Co; co++) {
    float s = 0.f;
    for (int r = 0; r < kh; r++)
      for (int k = 0; k < span; k++) s += px[r * rowStride + k] * pw[(r * span + k) * Co + co];
    py[co] = s;
  }
}

INLINE int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
INLINE int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
INLINE int max_i(int a, int b) { return a > b ? a : b; }
INLINE int min_i(int a, int b) { return a < b ? a : b; }

/** Where output position p (flattened over b, oy, ox) reads tap (0, 0): image, input row, column. */
typedef struct {
  int b, iy, ix;
} Origin;

INLINE Origin origin_of(int p, int Ho, int Wo, int sh, int sw, int pt, int pl) {
  Origin o = {p / (Ho * Wo), ((p / Wo) % Ho) * sh - pt, (p % Wo) * sw - pl};
  return o;
}

/**
 * A tile of MR consecutive output positions from p, anywhere in the output (the rows' borders,
 * the rows too short to hold a tile): each position's input for a tap is found anew, pointing at
 * `zeros` (Ci zeros) where the tap falls outside x, as XNNPACK's indirection buffers do.
 */
#define CONV_TILE_ANY(MR, NR)                                                                               \
  INLINE void conv_any_##MR##_##NR(const float *x, const float *zeros, int p, int H, int W, int Ci, int Ho,    \
                                   int Wo, int sh, int sw, int pt, int pl, const float *pw, int Co, int kh,   \
                                   int kw, float *py) {                                                     \
    v4 acc[MR][NR];                                                                                         \
    Origin o[MR];                                                                                           \
    for (int m = 0; m < MR; m++) o[m] = origin_of(p + m, Ho, Wo, sh, sw, pt, pl);                           \
    for (int m = 0; m < MR; m++)                                                                            \
      for (int n = 0; n < NR; n++) acc[m][n] = wasm_f32x4_splat(0.f);                                       \
    for (int i = 0; i < kh; i++) {                                                                          \
      for (int j = 0; j < kw; j++) {                                                                        \
        const float *px[MR];                                                                                \
        for (int m = 0; m < MR; m++) {                                                                      \
          const int iy = o[m].iy + i, ix = o[m].ix + j;                                                     \
          px[m] = (unsigned)iy < (unsigned)H && (unsigned)ix < (unsigned)W                                  \
                      ? x + ((o[m].b * H + iy) * W + ix) * Ci                                               \
                      : zeros;                                                                              \
        }                                                                                                   \
        const float *wr = pw + (i * kw + j) * Ci * Co;                                                      \
        for (int ci = 0; ci < Ci; ci++) {                                                                   \
          v4 wv[NR];                                                                                        \
          for (int n = 0; n < NR; n++) wv[n] = wasm_v128_load(wr + ci * Co + 4 * n);                         \
          for (int m = 0; m < MR; m++) {                                                                    \
            v4 xv = wasm_v128_load32_splat(px[m] + ci);                                                     \
            for (int n = 0; n < NR; n++) acc[m][n] = MADD(xv, wv[n], acc[m][n]);                            \
          }                                                                                                 \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
    for (int m = 0; m < MR; m++)                                                                            \
      for (int n = 0; n < NR; n++) wasm_v128_store(py + m * Co + 4 * n, acc[m][n]);                          \
  }

CONV_TILE_ANY(4, 2)
CONV_TILE_ANY(4, 1)
CONV_TILE_ANY(1, 2)
CONV_TILE_ANY(1, 1)

/** The scalar channel tail [co0, Co) of output position p, anywhere. */
INLINE void conv_any_scalar(const float *x, int p, int H, int W, int Ci, int Ho, int Wo, int sh, int sw, int pt,
                            int pl, const float *w, int Co, int kh, int kw, float *py, int co0) {
  const Origin o = origin_of(p, Ho, Wo, sh, sw, pt, pl);
  for (int co = co0; co < Co; co++) {
    float s = 0.f;
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        const int iy = o.iy + i, ix = o.ix + j;
        if ((unsigned)iy >= (unsigned)H || (unsigned)ix >= (unsigned)W) continue;
        for (int ci = 0; ci < Ci; ci++) s += x[((o.b * H + iy) * W + ix) * Ci + ci] * w[((i * kw + j) * Ci + ci) * Co + co];
      }
    py[co] = s;
  }
}

/** MR positions from p, anywhere: vector tiles of 8 and 4 channels, then the scalar tail. */
#define CONV_ANY(MR)                                                                                       \
  {                                                                                                        \
    int co = 0;                                                                                            \
    for (; co + 8 <= Co; co += 8)                                                                          \
      conv_any_##MR##_2(x, zeros, p, H, W, Ci, Ho, Wo, sh, sw, pt, pl, w + co, Co, kh, kw, y + p * Co + co); \
    for (; co + 4 <= Co; co += 4)                                                                          \
      conv_any_##MR##_1(x, zeros, p, H, W, Ci, Ho, Wo, sh, sw, pt, pl, w + co, Co, kh, kw, y + p * Co + co); \
    for (int m = 0; m < MR && co < Co; m++)                                                                \
      conv_any_scalar(x, p + m, H, W, Ci, Ho, Wo, sh, sw, pt, pl, w, Co, kh, kw, y + (p + m) * Co, co);     \
  }

/**
 * `zeros`: at least Ci zeros, read where a tap falls outside x. Positions go four at a time: along
 * a row whose taps all fall inside x with no bounds checks, otherwise through conv_any. Units:
 * groups of four positions, [u0, u1) of ceil(B·Ho·Wo / 4).
 */
EXPORT(conv2d)
void conv2d(const float *x, const float *w, float *y, const float *zeros, int B, int H, int W, int Ci, int Ho, int Wo,
            int Co, int kh, int kw, int sh, int sw, int pt, int pl, int u0, int u1) {
  const int rowStride = W * Ci; // x: one input row
  const int span = kw * Ci;     // one tap row's inputs of one position, contiguous in NHWC
  // Columns whose kw taps all fall inside x: ox·sw − pl ≥ 0 and ox·sw − pl + kw − 1 ≤ W − 1.
  const int oxa = min_i(Wo, max_i(0, ceil_div(pl, sw)));
  const int oxb = max_i(oxa, min_i(Wo, floor_div(W - kw + pl, sw) + 1));
  const int P = min_i(B * Ho * Wo, 4 * u1);
  int p = 4 * u0;
  for (; p + 4 <= P; p += 4) {
    const Origin o = origin_of(p, Ho, Wo, sh, sw, pt, pl);
    const int ox = p % Wo;
    if (ox >= oxa && ox + 4 <= oxb && o.iy >= 0 && o.iy + kh <= H) {
      const float *px = x + ((o.b * H + o.iy) * W + o.ix) * Ci;
      int co = 0;
      for (; co + 8 <= Co; co += 8) conv_tile_4_2(px, sw * Ci, rowStride, w + co, Co, kh, span, y + p * Co + co, Co);
      for (; co + 4 <= Co; co += 4) conv_tile_4_1(px, sw * Ci, rowStride, w + co, Co, kh, span, y + p * Co + co, Co);
      for (int m = 0; m < 4 && co < Co; m++) conv_scalar(px + m * sw * Ci, rowStride, w, Co, kh, span, y + (p + m) * Co, co);
    } else {
      CONV_ANY(4)
    }
  }
  for (; p < P; p++) CONV_ANY(1)
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter, NHWC, direct: dw[i, j, ci, co] = Σ_{b, oy, ox} x[b, oy·sh + i − pt,
// ox·sw + j − pl, ci] · dy[b, oy, ox, co]. A register tile holds MR input channels of one tap times
// NR·4 output channels and sweeps the positions where that tap falls inside x, reading x as
// broadcasts and dy as vectors: neither is transposed or packed. The positions are taken a chunk
// of images at a time (about 256 positions), so that chunk's x and dy stay in cache while every
// tile sweeps it; the tiles accumulate into dw between chunks.

#define FILTER_TILE(MR, NR)                                                                                    \
  INLINE void filter_tile_##MR##_##NR(const float *x, const float *dy, float *dw, int b0, int b1, int H, int W,  \
                                      int Ci, int Ho, int Wo, int Co, int sh, int sw, int oy0, int oy1, int ox0,   \
                                      int ox1, int iyOff, int ixOff, int ci, int co, int first) {                 \
    v4 acc[MR][NR];                                                                                            \
    for (int m = 0; m < MR; m++)                                                                               \
      for (int n = 0; n < NR; n++)                                                                             \
        acc[m][n] = first ? wasm_f32x4_splat(0.f) : wasm_v128_load(dw + m * Co + co + 4 * n);                  \
    for (int b = b0; b < b1; b++) {                                                                            \
      for (int oy = oy0; oy < oy1; oy++) {                                                                     \
        const float *px = x + ((b * H + oy * sh + iyOff) * W + ox0 * sw + ixOff) * Ci + ci;                    \
        const float *pd = dy + ((b * Ho + oy) * Wo + ox0) * Co + co;                                           \
        for (int ox = ox0; ox < ox1; ox++, px += sw * Ci, pd += Co) {                                          \
          v4 dv[NR];                                                                                           \
          for (int n = 0; n < NR; n++) dv[n] = wasm_v128_load(pd + 4 * n);                                     \
          for (int m = 0; m < MR; m++) {                                                                       \
            v4 xv = wasm_v128_load32_splat(px + m);                                                            \
            for (int n = 0; n < NR; n++) acc[m][n] = MADD(xv, dv[n], acc[m][n]);                               \
          }                                                                                                    \
        }                                                                                                      \
      }                                                                                                        \
    }                                                                                                          \
    for (int m = 0; m < MR; m++)                                                                               \
      for (int n = 0; n < NR; n++) wasm_v128_store(dw + m * Co + co + 4 * n, acc[m][n]);                       \
  }

FILTER_TILE(4, 2)
FILTER_TILE(3, 2)
FILTER_TILE(2, 2)
FILTER_TILE(1, 2)
FILTER_TILE(4, 1)
FILTER_TILE(3, 1)
FILTER_TILE(2, 1)
FILTER_TILE(1, 1)

/** The scalar channel tail [co0, Co) of one input channel ci. */
INLINE void filter_scalar(const float *x, const float *dy, float *dw, int b0, int b1, int H, int W, int Ci, int Ho,
                          int Wo, int Co, int sh, int sw, int oy0, int oy1, int ox0, int ox1, int iyOff, int ixOff,
                          int ci, int co0, int first) {
  for (int co = co0; co < Co; co++) {
    float s = first ? 0.f : dw[co];
    for (int b = b0; b < b1; b++)
      for (int oy = oy0; oy < oy1; oy++)
        for (int ox = ox0; ox < ox1; ox++)
          s += x[((b * H + oy * sh + iyOff) * W + ox * sw + ixOff) * Ci + ci] * dy[((b * Ho + oy) * Wo + ox) * Co + co];
    dw[co] = s;
  }
}

#define FILTER_ROWS(MR)                                                                                        \
  {                                                                                                            \
    int co = 0;                                                                                                \
    for (; co + 8 <= Co; co += 8)                                                                              \
      filter_tile_##MR##_2(x, dy, dwt, b0, b1, H, W, Ci, Ho, Wo, Co, sh, sw, oy0, oy1, ox0, ox1, iyOff, ixOff, ci, co, \
                           first);                                                                             \
    for (; co + 4 <= Co; co += 4)                                                                              \
      filter_tile_##MR##_1(x, dy, dwt, b0, b1, H, W, Ci, Ho, Wo, Co, sh, sw, oy0, oy1, ox0, ox1, iyOff, ixOff, ci, co, \
                           first);                                                                             \
    for (int m = 0; m < MR && co < Co; m++)                                                                    \
      filter_scalar(x, dy, dwt + m * Co, b0, b1, H, W, Ci, Ho, Wo, Co, sh, sw, oy0, oy1, ox0, ox1, iyOff, ixOff,  \
                    ci + m, co, first);                                                                        \
  }

/** Units: (tap, block of 4 input channels) pairs, [u0, u1) of kh·kw·ceil(Ci / 4). */
EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(const float *x, const float *dy, float *dw, int B, int H, int W, int Ci, int Ho, int Wo, int Co,
                        int kh, int kw, int sh, int sw, int pt, int pl, int u0, int u1) {
  const int chunk = max_i(1, 256 / max_i(1, Ho * Wo)); // images per sweep
  const int blocks = (Ci + 3) / 4;
  for (int b0 = 0; b0 < B; b0 += chunk) {
    const int b1 = min_i(B, b0 + chunk);
    const int first = b0 == 0;
    for (int u = u0; u < u1; u++) {
      const int tap = u / blocks, ci = (u % blocks) * 4;
      const int i = tap / kw, j = tap % kw;
      // Output rows where tap row i falls inside x: 0 ≤ oy·sh + i − pt ≤ H − 1.
      const int oy0 = min_i(Ho, max_i(0, ceil_div(pt - i, sh)));
      const int oy1 = max_i(oy0, min_i(Ho, floor_div(H - 1 + pt - i, sh) + 1));
      const int ox0 = min_i(Wo, max_i(0, ceil_div(pl - j, sw)));
      const int ox1 = max_i(ox0, min_i(Wo, floor_div(W - 1 + pl - j, sw) + 1));
      const int iyOff = i - pt, ixOff = j - pl;
      float *dwt = dw + (tap * Ci + ci) * Co;
      const int rows = min_i(4, Ci - ci);
      if (oy1 <= oy0 || ox1 <= ox0) {
        if (first)
          for (int k = 0; k < rows * Co; k++) dwt[k] = 0.f;
        continue;
      }
      switch (rows) {
      case 4: FILTER_ROWS(4) break;
      case 3: FILTER_ROWS(3) break;
      case 2: FILTER_ROWS(2) break;
      default: FILTER_ROWS(1) break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// BatchNorm in training mode followed by ReLU, over x [N, C] (every axis but the channels
// flattened), as workers/model/layers.ts batchNormRelu computes it: mean and biased variance over
// the N rows (two passes: the mean, then the squared deviations), y = max(0, (x − mean)·invStd·γ
// + β) with invStd = 1/√(var + eps). Sums run in float32 over blocks of rows and in float64
// across blocks, so a channel of 131,072 values sums as exactly as a pairwise sum would.

#define BLOCK 64

/** out[c] = Σ_n x[n, c] (float64 across blocks of rows), for c0 ≤ c < c1 (c0 a multiple of 4). */
INLINE void column_sums(const float *x, int N, int C, int c0, int c1, double *out, const float *shift) {
  for (int c = c0; c < c1; c++) out[c] = 0.0;
  for (int n0 = 0; n0 < N; n0 += BLOCK) {
    const int n1 = min_i(N, n0 + BLOCK);
    int c = c0;
    for (; c + 4 <= c1; c += 4) {
      v4 s = wasm_f32x4_splat(0.f);
      if (shift) {
        v4 m = wasm_v128_load(shift + c);
        for (int n = n0; n < n1; n++) {
          v4 d = wasm_f32x4_sub(wasm_v128_load(x + n * C + c), m);
          s = MADD(d, d, s);
        }
      } else {
        for (int n = n0; n < n1; n++) s = wasm_f32x4_add(s, wasm_v128_load(x + n * C + c));
      }
      out[c] += wasm_f32x4_extract_lane(s, 0);
      out[c + 1] += wasm_f32x4_extract_lane(s, 1);
      out[c + 2] += wasm_f32x4_extract_lane(s, 2);
      out[c + 3] += wasm_f32x4_extract_lane(s, 3);
    }
    for (; c < c1; c++) {
      float s = 0.f;
      for (int n = n0; n < n1; n++) {
        float d = x[n * C + c] - (shift ? shift[c] : 0.f);
        s += shift ? d * d : x[n * C + c];
      }
      out[c] += s;
    }
  }
}

/**
 * Statistics of x [N, C]: mean[c], var[c] (biased) and invStd[c] = 1/√(var + eps). `scratch` holds
 * C float64 values. Units: blocks of 4 channels, [u0, u1) of ceil(C / 4).
 */
EXPORT(bn_stats)
void bn_stats(const float *x, int N, int C, float eps, float *mean, float *var, float *invStd, double *scratch, int u0,
              int u1) {
  const int c0 = 4 * u0, c1 = min_i(C, 4 * u1);
  column_sums(x, N, C, c0, c1, scratch, 0);
  for (int c = c0; c < c1; c++) mean[c] = (float)(scratch[c] / N);
  column_sums(x, N, C, c0, c1, scratch, mean);
  for (int c = c0; c < c1; c++) {
    var[c] = (float)(scratch[c] / N);
    invStd[c] = 1.f / __builtin_sqrtf(var[c] + eps);
  }
}

/** y = max(0, (x − mean)·invStd·γ + β) over x [N, C]; relu = 0 leaves out the max. Units: rows,
 *  [u0, u1) of N. */
EXPORT(bn_relu_forward)
void bn_relu_forward(const float *x, int N, int C, const float *mean, const float *invStd, const float *gamma,
                     const float *beta, float *y, int relu, int u0, int u1) {
  const v4 zero = wasm_f32x4_splat(0.f);
  for (int n = u0; n < u1 && n < N; n++) {
    const float *xr = x + n * C;
    float *yr = y + n * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v4 h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + c), wasm_v128_load(mean + c)), wasm_v128_load(invStd + c));
      v4 o = MADD(h, wasm_v128_load(gamma + c), wasm_v128_load(beta + c));
      wasm_v128_store(yr + c, relu ? wasm_f32x4_max(o, zero) : o);
    }
    for (; c < C; c++) {
      float o = (xr[c] - mean[c]) * invStd[c] * gamma[c] + beta[c];
      yr[c] = relu && !(o > 0.f) ? 0.f : o;
    }
  }
}

/**
 * The backward reductions: with g = dy·[y > 0] (dy where relu = 0) and x̂ = (x − mean)·invStd,
 * dBeta[c] = Σ_n g, dGamma[c] = Σ_n g·x̂. `scratch` holds 2·C float64 values. Units: blocks of 4
 * channels, [u0, u1) of ceil(C / 4).
 */
EXPORT(bn_relu_backward_sums)
void bn_relu_backward_sums(const float *dy, const float *y, const float *x, int N, int C, const float *mean,
                           const float *invStd, float *dBeta, float *dGamma, int relu, double *scratch, int u0, int u1) {
  const int c0 = 4 * u0, c1 = min_i(C, 4 * u1);
  double *sb = scratch, *sg = scratch + C;
  for (int c = c0; c < c1; c++) sb[c] = sg[c] = 0.0;
  const v4 zero = wasm_f32x4_splat(0.f);
  for (int n0 = 0; n0 < N; n0 += BLOCK) {
    const int n1 = min_i(N, n0 + BLOCK);
    int c = c0;
    for (; c + 4 <= c1; c += 4) {
      v4 b = zero, g = zero;
      const v4 m = wasm_v128_load(mean + c), s = wasm_v128_load(invStd + c);
      for (int n = n0; n < n1; n++) {
        v4 d = wasm_v128_load(dy + n * C + c);
        if (relu) d = wasm_v128_and(d, wasm_f32x4_gt(wasm_v128_load(y + n * C + c), zero));
        v4 h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + n * C + c), m), s);
        b = wasm_f32x4_add(b, d);
        g = MADD(d, h, g);
      }
      sb[c] += wasm_f32x4_extract_lane(b, 0);
      sb[c + 1] += wasm_f32x4_extract_lane(b, 1);
      sb[c + 2] += wasm_f32x4_extract_lane(b, 2);
      sb[c + 3] += wasm_f32x4_extract_lane(b, 3);
      sg[c] += wasm_f32x4_extract_lane(g, 0);
      sg[c + 1] += wasm_f32x4_extract_lane(g, 1);
      sg[c + 2] += wasm_f32x4_extract_lane(g, 2);
      sg[c + 3] += wasm_f32x4_extract_lane(g, 3);
    }
    for (; c < c1; c++) {
      float b = 0.f, g = 0.f;
      for (int n = n0; n < n1; n++) {
        float d = relu && !(y[n * C + c] > 0.f) ? 0.f : dy[n * C + c];
        b += d;
        g += d * ((x[n * C + c] - mean[c]) * invStd[c]);
      }
      sb[c] += b;
      sg[c] += g;
    }
  }
  for (int c = c0; c < c1; c++) {
    dBeta[c] = (float)sb[c];
    dGamma[c] = (float)sg[c];
  }
}

/** dx = γ·invStd·(g − dBeta/N − x̂·dGamma/N) over [N, C] (Ioffe & Szegedy 2015), g and x̂ as above.
 *  Units: rows, [u0, u1) of N. */
EXPORT(bn_relu_backward_dx)
void bn_relu_backward_dx(const float *dy, const float *y, const float *x, int N, int C, const float *mean,
                         const float *invStd, const float *gamma, const float *dBeta, const float *dGamma, float *dx,
                         int relu, int u0, int u1) {
  const v4 zero = wasm_f32x4_splat(0.f);
  const float inv = 1.f / (float)N;
  for (int n = u0; n < u1 && n < N; n++) {
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      const v4 s = wasm_v128_load(invStd + c);
      v4 d = wasm_v128_load(dy + n * C + c);
      if (relu) d = wasm_v128_and(d, wasm_f32x4_gt(wasm_v128_load(y + n * C + c), zero));
      v4 h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + n * C + c), wasm_v128_load(mean + c)), s);
      v4 mb = wasm_f32x4_mul(wasm_v128_load(dBeta + c), wasm_f32x4_splat(inv));
      v4 mg = wasm_f32x4_mul(wasm_v128_load(dGamma + c), wasm_f32x4_splat(inv));
      v4 centred = wasm_f32x4_sub(wasm_f32x4_sub(d, mb), wasm_f32x4_mul(h, mg));
      wasm_v128_store(dx + n * C + c, wasm_f32x4_mul(centred, wasm_f32x4_mul(wasm_v128_load(gamma + c), s)));
    }
    for (; c < C; c++) {
      float d = relu && !(y[n * C + c] > 0.f) ? 0.f : dy[n * C + c];
      float h = (x[n * C + c] - mean[c]) * invStd[c];
      dx[n * C + c] = (d - dBeta[c] * inv - h * (dGamma[c] * inv)) * (gamma[c] * invStd[c]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SGD's step of one parameter (workers/optim/sgd-step.ts): g' = g + wd·p; m' = momentum·m + g';
// p' = p − lr·m'. Multiplies and adds, never fused, in the composite route's order: the same bits
// as TF.js's own elementwise kernels give.

EXPORT(sgd_step)
void sgd_step(const float *p, const float *m, const float *g, float *nextM, float *nextP, int n, float lr, float momentum,
              float wd) {
  const v4 vl = wasm_f32x4_splat(lr), vm = wasm_f32x4_splat(momentum), vw = wasm_f32x4_splat(wd);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v4 pv = wasm_v128_load(p + i);
    v4 gv = wasm_v128_load(g + i);
    if (wd != 0.f) gv = wasm_f32x4_add(gv, wasm_f32x4_mul(pv, vw));
    const v4 mv = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vm), gv);
    wasm_v128_store(nextM + i, mv);
    wasm_v128_store(nextP + i, wasm_f32x4_sub(pv, wasm_f32x4_mul(mv, vl)));
  }
  for (; i < n; i++) {
    const float gi = wd != 0.f ? g[i] + p[i] * wd : g[i];
    nextM[i] = m[i] * momentum + gi;
    nextP[i] = p[i] - nextM[i] * lr;
  }
}

// ---------------------------------------------------------------------------------------------
// Matrix product, C[M, N] = A[M, K] · B[K, N] (+ bias[N]), over a batch: A's element (m, k) at
// a + m·sam + k·sak (any strides, so a transposed A needs no copy), B row-major [K, N]. A register
// tile holds 4 rows × 8 columns of C; B is read as vectors, A as broadcasts, as in conv2d. No
// packing: for the projector's small products (K, N ≤ 1024) that packing was most of the time
// XNNPACK spent (docs/performance.md); larger ones stay with XNNPACK, which blocks for the cache.

#define GEMM_TILE(MR, NR)                                                                                     \
  INLINE void gemm_tile_##MR##_##NR(const float *a, int sam, int sak, const float *b, int N, int K, float *c,    \
                                    const float *bias) {                                                      \
    v4 acc[MR][NR];                                                                                           \
    for (int m = 0; m < MR; m++)                                                                              \
      for (int n = 0; n < NR; n++) acc[m][n] = bias ? wasm_v128_load(bias + 4 * n) : wasm_f32x4_splat(0.f);   \
    for (int k = 0; k < K; k++) {                                                                             \
      v4 bv[NR];                                                                                              \
      for (int n = 0; n < NR; n++) bv[n] = wasm_v128_load(b + k * N + 4 * n);                                  \
      for (int m = 0; m < MR; m++) {                                                                          \
        v4 av = wasm_v128_load32_splat(a + m * sam + k * sak);                                                \
        for (int n = 0; n < NR; n++) acc[m][n] = MADD(av, bv[n], acc[m][n]);                                  \
      }                                                                                                       \
    }                                                                                                         \
    for (int m = 0; m < MR; m++)                                                                              \
      for (int n = 0; n < NR; n++) wasm_v128_store(c + m * N + 4 * n, acc[m][n]);                              \
  }

GEMM_TILE(4, 2)
GEMM_TILE(4, 1)
GEMM_TILE(1, 2)
GEMM_TILE(1, 1)

INLINE void gemm_scalar(const float *a, int sam, int sak, const float *b, int N, int K, float *c, const float *bias,
                        int rows, int n0) {
  for (int m = 0; m < rows; m++)
    for (int n = n0; n < N; n++) {
      float s = bias ? bias[n] : 0.f;
      for (int k = 0; k < K; k++) s += a[m * sam + k * sak] * b[k * N + n];
      c[m * N + n] = s;
    }
}

#define GEMM_ROWS(MR)                                                                                          \
  {                                                                                                            \
    int n = 0;                                                                                                 \
    for (; n + 8 <= N; n += 8) gemm_tile_##MR##_2(ab + m * sam, sam, sak, bb + n, N, K, cb + m * N + n, bias ? bias + n : 0); \
    for (; n + 4 <= N; n += 4) gemm_tile_##MR##_1(ab + m * sam, sam, sak, bb + n, N, K, cb + m * N + n, bias ? bias + n : 0); \
    if (n < N) gemm_scalar(ab + m * sam, sam, sak, bb, N, K, cb + m * N, bias, MR, n);                         \
  }

/** batch: products; aBatch, bBatch: the strides between the batch's A and B (0: shared). Units:
 *  blocks of 4 rows of one product, [u0, u1) of batch·ceil(M / 4). */
EXPORT(gemm)
void gemm(const float *a, const float *b, float *c, const float *bias, int batch, int M, int N, int K, int sam, int sak,
          int aBatch, int bBatch, int u0, int u1) {
  const int blocks = (M + 3) / 4;
  for (int u = u0; u < u1; u++) {
    const int t = u / blocks;
    const float *ab = a + t * aBatch;
    const float *bb = b + t * bBatch;
    float *cb = c + t * M * N;
    int m = (u % blocks) * 4;
    if (m + 4 <= M) GEMM_ROWS(4)
    else
      for (; m < M; m++) GEMM_ROWS(1)
  }
}
