// "PyTorch project": a checkpoint as a zip a PyTorch user can run at once: model.safetensors and
// optimizer.safetensors (./export.ts), train_vicreg.py generated from the run's config (with the
// models of ./models.py inlined, so it is one self-contained file), requirements.txt, README.md.
import { strToU8, zipSync } from 'fflate';
import { APP_VERSION } from '../contract/version';
import type { Checkpoint } from '../checkpoint/record';
import { fileStem } from '../checkpoint/zip';
import modelsSource from './models.py?raw';
import trainSource from './train_vicreg.py?raw';
import { torchModelFile, torchOptimizerFile } from './export';

/** A value as a Python literal: JSON is one for numbers, strings, lists and dicts (the config has
 *  no booleans or nulls; one would be a bug, so it throws). Strings stay escaped, so a run name
 *  cannot end a docstring or a string early. */
function pythonLiteral(value: unknown, indent?: number): string {
  const json = JSON.stringify(
    value,
    (_, v: unknown) => {
      if (typeof v === 'boolean' || v === null) throw new Error(`no Python literal for ${String(v)} in the exported config`);
      return v;
    },
    indent,
  );
  return json;
}

/** train_vicreg.py for this checkpoint. */
export function trainScript(c: Checkpoint): string {
  const m = c.meta;
  const models = modelsSource.replace(/^"""[\s\S]*?"""\n/, '').trim();
  return trainSource
    .replace('@@RUN_NAME@@', pythonLiteral(m.runName))
    .replace('@@STEP@@', String(m.step))
    .replace('@@EPOCH@@', String(m.epoch))
    .replace('@@APP_VERSION@@', APP_VERSION)
    .replace('@@CONFIG@@', pythonLiteral(m.config, 4))
    .replace('@@NORMALIZATION@@', pythonLiteral(m.normalization))
    .replace(
      '# @@MODELS@@',
      `# ----------------------------------------------------------------------------- models\n# The studio's networks under its (torchvision's, timm's) names: workers/torch/models.py.\n${models}`,
    );
}

export const REQUIREMENTS = `# train_vicreg.py: tested with Debian's torch 1.13 and torchvision 0.14 (CPU, gloo)
torch>=1.13
torchvision>=0.14
Pillow
# optional: read and write model.safetensors with the official package (a built-in reader is used otherwise)
safetensors>=0.3
`;

function readme(c: Checkpoint): string {
  const m = c.meta;
  const prefix =
    m.config.backbone === 'resnet50v2'
      ? `ResNet50V2(${m.config.widthMult}, '${m.config.stem}')  # the class in train_vicreg.py: Keras's network under Keras's layer names`
      : m.config.backbone.startsWith('resnet')
        ? `torchvision.models.${m.config.backbone}()`
        : m.config.backbone === 'mobilenetv2'
          ? 'torchvision.models.mobilenet_v2().features'
          : 'the backbone class in train_vicreg.py';
  return `# ${m.runName}, step ${m.step}: continue in PyTorch

Exported by VICReg Studio ${APP_VERSION}. The run stopped at step ${m.step} of ${m.totalSteps} (epoch ${m.epoch}).

| file | what |
|---|---|
| model.safetensors | backbone and projector, PyTorch layout, torchvision/timm names (\`backbone.*\`, \`projector.*\`); config and input normalisation in the metadata |
| optimizer.safetensors | the optimizer state (${m.config.optimizer}) per parameter name, and the AVT EMA if the run uses AVT |
| train_vicreg.py | the run as one PyTorch script: same model, augmentations, loss, optimizer and schedule |
| requirements.txt | what it needs |

## Continue training
    pip install -r requirements.txt
    python train_vicreg.py --data /path/to/images                           # one CPU or GPU
    torchrun --nproc_per_node=8 train_vicreg.py --data /path/to/images      # 8 GPUs
With Debian's torch 1.13 on Python 3.11 or later, add \`--redirects=1 --tee=1\` to torchrun (its
launcher misreads their default there). The images are an ImageFolder (one subfolder per class). \`--batch-size\` is the global batch
(${m.config.batchSize} here, split over the processes), \`--epochs\` the run's length
(${m.config.epochs}). Checkpoints go to \`--out\` (default \`checkpoints/\`) after every epoch.

## Use the encoder elsewhere
    from safetensors.torch import load_file
    state = load_file('model.safetensors')
    backbone = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    model = ${prefix}
    model.load_state_dict(backbone, strict=False)   # strict=False: the studio has no fc layer
Inputs: RGB in [0, 1], resized to ${m.config.imageSize} px, then (x - mean) / std per channel with
mean = ${JSON.stringify(m.normalization.mean)}, std = ${JSON.stringify(m.normalization.std)}.
${m.config.backbone.startsWith('resnet') && m.config.backbone !== 'resnet50v2' && m.config.stem === 'cifar' ? 'This ResNet has the CIFAR stem: replace conv1 with nn.Conv2d(3, 64, 3, 1, 1, bias=False) and maxpool with nn.Identity() first.\n' : ''}${m.config.backbone === 'small-cnn' || m.config.widthMult !== 1 ? "Its widths differ from torchvision's: build it with the classes in train_vicreg.py.\n" : ''}
## Bring it back
Import \`checkpoints/model.safetensors\` in the studio's checkpoint list: k-NN, probe, feature map
and exports work on it.
`;
}

/** The zip the checkpoint list's "PyTorch" export downloads. */
export function torchProjectZip(c: Checkpoint): { name: string; bytes: Uint8Array } {
  const bytes = zipSync({
    'model.safetensors': [torchModelFile(c), { level: 0 }],
    'optimizer.safetensors': [torchOptimizerFile(c), { level: 0 }],
    'train_vicreg.py': strToU8(trainScript(c)),
    'requirements.txt': strToU8(REQUIREMENTS),
    'README.md': strToU8(readme(c)),
  });
  return { name: `${fileStem(c.meta.runName, c.meta.step)}-pytorch.zip`, bytes };
}
