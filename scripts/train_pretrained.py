"""Train eegzoo's pretrained variants and register them (not run by CI).

For each (model, dataset) below — those where ``eegzoo benchmark`` shows the zoo model
significantly above chance and the data's license allows sharing weights — train on the
training split with the ``benchmark`` recipe (through the same EEGZooClassifier as the
benchmark), test on the held-out split, and write (:func:`eegzoo.apps.pretrain.pretrain`,
what ``eegzoo pretrain`` runs for any dataset):

- ``registry/weights/<model>.<dataset>.safetensors`` (bundled in the wheel),
- ``registry/<model>.<dataset>.json``: the variant spec, its ``[pretrained]`` table pinning
  the file by sha256, naming the Hub repo it is meant for, and carrying the held-out results,
  class names, recipe, data provenance and license (the generated card shows them).

Deterministic for its seed on CPU (one thread): running it again rewrites identical files.

    python scripts/train_pretrained.py            # all variants
    python scripts/train_pretrained.py eegnet.selfregulationscp1
    eegzoo card --all                             # then refresh model_cards/
"""

from __future__ import annotations

import sys
from pathlib import Path

from eegzoo.apps.pretrain import pretrain

REGISTRY = Path(__file__).resolve().parent.parent / "registry"
HUB_OWNER = "eegzoo"
RECIPE = "benchmark"
SEED = 0

# (model, dataset, license of the weights)
VARIANTS = [
    ("fblightconvnet", "graz-sample", "GPL-3.0-or-later"),
    ("shallowfbcspnet", "graz-sample", "GPL-3.0-or-later"),
    ("eegnet", "selfregulationscp1", "other"),
    ("ifnet", "graz-sample", "GPL-3.0-or-later"),
    ("eegnex", "graz-sample", "GPL-3.0-or-later"),
    ("deep4net", "selfregulationscp1", "other"),
    ("atcnet", "selfregulationscp1", "other"),
    ("ctnet", "selfregulationscp1", "other"),
    ("eegconformer", "selfregulationscp1", "other"),
    ("eegnex", "selfregulationscp1", "other"),
    ("eegtcnet", "selfregulationscp1", "other"),
    ("tcformer", "selfregulationscp1", "other"),
    ("ifnet", "selfregulationscp1", "other"),
]
# From the twelve-architecture benchmark (3 seeds, Bonferroni over its 87 rows), every pair
# significantly above chance whose data may be shared. Not here: shallowfbcspnet, fblightconvnet
# and fbcnet on selfregulationscp1 (not significant), pylossless-press (no license stated for
# the recordings), the other architectures on graz-sample, and every architecture on
# eyesopenshut, fingermovements and selfregulationscp2 (none significantly above chance).
WEIGHTS_LICENSE_NOTE = {
    "GPL-3.0-or-later": "GPL-3.0-or-later: trained on data distributed under the GPL (Debian's octave-biosig)",
    "other": "Research use: trained on BCI Competition II data (free for research; cite the competition papers)",
}


def main(names: list[str]) -> None:
    chosen = [v for v in VARIANTS if not names or f"{v[0]}.{v[1]}" in names]
    if names and len(chosen) != len(names):
        raise SystemExit(f"unknown variant(s); choose among {[f'{m}.{d}' for m, d, _ in VARIANTS]}")
    for model, dataset, license_id in chosen:
        name = f"{model}.{dataset}"
        result = pretrain(
            model, dataset, REGISTRY, seed=SEED, recipe=RECIPE, license=WEIGHTS_LICENSE_NOTE[license_id],
            repo_id=f"{HUB_OWNER}/{name}", weights_file=f"weights/{name}.safetensors", model_folder=False,
            reproduce=f"python scripts/train_pretrained.py {name}", created=f"scripts/train_pretrained.py, seed {SEED}",
        )
        print(f"{name}: held-out accuracy {result.accuracy:.4f}, kappa {result.kappa:.4f} ({result.n_test} trials); "
              f"{result.weights_file.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
