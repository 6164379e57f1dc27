// The k training images nearest to one test image in feature space (cosine similarity, as the
// k-NN vote uses), with their similarity and class; same-class neighbours are marked.
import { useStore } from '../store';
import { closeNeighbours } from './actions';
import { classColor } from './FeatureMap';
import { Thumb } from './Thumb';

export function NeighbourGallery({ classes }: { classes: string[] }) {
  const g = useStore((s) => s.gallery);
  if (g.status === 'idle') return null;
  return (
    <section className="gallery" data-testid="neighbour-gallery" data-status={g.status}>
      <header>
        <strong>Nearest training images of test image {g.test}</strong>
        <button onClick={closeNeighbours}>Close</button>
      </header>
      {g.status === 'loading' && <p className="hint">Finding neighbours…</p>}
      {g.error && <p className="error">{g.error}</p>}
      {g.gallery && (
        <div className="gallery-row">
          <figure className="query">
            <Thumb rgba={g.gallery.thumb} size={g.gallery.thumbSize} alt={classes[g.gallery.label]} />
            <figcaption>
              {classes[g.gallery.label]}
              <br />
              <span className="hint">query</span>
            </figcaption>
          </figure>
          {g.gallery.items.map((it, r) => (
            <figure
              key={r}
              data-testid="neighbour"
              data-class={classes[it.label]}
              data-similarity={it.similarity}
              className={it.label === g.gallery!.label ? 'same' : 'other'}
              style={{ borderColor: classColor(it.label) }}
            >
              <Thumb rgba={it.thumb} size={g.gallery!.thumbSize} alt={classes[it.label]} />
              <figcaption>
                {it.similarity.toFixed(3)}
                <br />
                {classes[it.label]}
              </figcaption>
            </figure>
          ))}
        </div>
      )}
    </section>
  );
}
