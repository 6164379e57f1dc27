// What the data decides about the augmentation, as rules rather than a table of settings.
//
// Grayscale data (one channel, or three equal ones): saturation and hue jitter and RandomGrayscale
// are identities on gray pixels (torchvision's adjust_saturation blends an image with its own
// grayscale; a gray pixel has no hue; rgb_to_grayscale of a gray pixel is itself, to its luma weights' sum of 0.9999), so they are
// switched off: the views are the same up to rounding, the preview shows no variety that training
// would not see, and the GPU backends skip the work. The random draws still happen, so a seed
// gives the same crops, flips and jitter order either way.
import type { TrainConfig } from '../contract/config';

type Colour = Pick<TrainConfig, 'saturation' | 'hue' | 'grayscaleProb'>;

/** The colour settings that apply to this data, and the names of those the data switched off. */
export function colourForData<C extends Colour>(c: C, data: { grayscale: boolean }): { config: C; off: (keyof Colour)[] } {
  if (!data.grayscale) return { config: c, off: [] };
  const off = (['saturation', 'hue', 'grayscaleProb'] as const).filter((k) => c[k] > 0);
  return { config: { ...c, saturation: 0, hue: 0, grayscaleProb: 0 }, off };
}
