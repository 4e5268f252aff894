"""The ``eegzoo`` command line: list, info, schema, plugins, card, export, train, evaluate, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from eegzoo.core.errors import DatasetError, RegistryError, SpecError
from eegzoo.registry import list_models, model_source, model_spec
from eegzoo.specs.model import ModelSpec


def _cmd_list(args: argparse.Namespace) -> int:
    for name in list_models(args.pattern, pretrained=args.pretrained, tag=args.tag):
        spec = model_spec(name)
        print(f"{name:28s} {spec.architecture:16s} {', '.join(spec.tags)}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    import torch

    from eegzoo.api import create_model
    from eegzoo.models.base import count_parameters

    spec = model_spec(args.name)
    model = create_model(args.name)
    n_chans, n_times, n_outputs = model.n_chans, model.n_times, model.n_outputs
    with torch.no_grad():
        out = model.eval()(torch.zeros(1, n_chans, n_times))
    info = {
        "name": spec.name,
        "source": model_source(args.name),
        "architecture": spec.architecture,
        "parameters": count_parameters(model),
        "input_shape": ["batch", n_chans, n_times],
        "output_shape": ["batch", int(out.shape[1])],
        "sfreq": model.sfreq,
        "n_outputs": n_outputs,
        "spec": spec.model_dump(mode="json", exclude_none=True),
    }
    print(json.dumps(info, indent=2))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(ModelSpec.model_json_schema(), indent=2))
    return 0


def _cmd_plugins(args: argparse.Namespace) -> int:
    from eegzoo.registry.plugins import DISABLE_ENV, disabled_plugins, plugin_report, unknown_disabled_names

    records = plugin_report()
    unknown = unknown_disabled_names()
    if args.json:
        print(json.dumps({"plugins": [r.to_dict() for r in records], "unknown_disabled_names": unknown}, indent=2))
        return 0
    if disabled_plugins().all:
        print(f"plugin autoload is off ({DISABLE_ENV}={os.environ.get(DISABLE_ENV)})")
    for name in unknown:
        print(f"warning: {DISABLE_ENV} names '{name}', which is no installed plugin")
    if not records:
        print("no eegzoo plugins installed")
    for record in records:
        origin = f"{record.distribution} {record.version}" if record.distribution else "unknown distribution"
        print(f"{record.name}  [{record.group}]  {record.status}")
        print(f"  distribution: {origin}")
        print(f"  entry point:  {record.value}")
        for kind, names in record.registered.items():
            print(f"  {kind + ':':13s} {', '.join(names) if names else '-'}")
        if record.error:
            print(f"  {'error:' if record.status == 'failed' else 'note:':13s} {record.error}")
        for note in record.notes:
            print(f"  note:         {note}")
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    from eegzoo.io.cards import generate_model_card, write_model_cards

    if args.all:
        for path in write_model_cards(args.out):
            print(path)
        return 0
    if not args.name:
        raise SpecError("eegzoo card needs a model NAME or --all.")
    print(generate_model_card(args.name))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from eegzoo.api import create_model, from_pretrained
    from eegzoo.io.export import export_model

    spec = model_spec(args.name)  # NAME must be registered, with or without --weights
    if args.weights:
        model = from_pretrained(args.weights)
        saved = getattr(model, "eegzoo_spec", None)
        if saved is not None and saved.architecture != spec.architecture:
            raise ValueError(
                f"{args.weights} holds a '{saved.architecture}' model ('{saved.name}'), but {args.name} is "
                f"a '{spec.architecture}': pass the folder's own name ({saved.name}) or the right weights."
            )
    else:
        model = create_model(args.name)
    path = export_model(model.eval(), args.out, args.format)
    print(f"wrote {path} ({args.format}, input (batch, {model.n_chans}, {model.n_times}))")
    return 0


def _comma_names(text: str | None) -> list[str] | None:
    """``"C3, Cz,C4"`` -> ``["C3", "Cz", "C4"]``."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError(f"expected comma-separated names, got {text!r}.")
    return names


def _cmd_train(args: argparse.Namespace) -> int:
    from eegzoo.apps.experiment import Selection, train_run

    try:
        selection = Selection(
            channels=_comma_names(args.channels), classes=_comma_names(args.classes), tmin=args.tmin, tmax=args.tmax, sfreq=args.sfreq,
            reject_by_annotation=args.reject_by_annotation,
        )
        _, history, metrics = train_run(
            args.name, args.data, args.out, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
            seed=args.seed, subject=args.subject, n_trials=args.trials, patience=args.patience,
            test_source=args.test_data, recipe=args.recipe, selection=selection, report=print,
            cropped=True if args.cropped else None, device=args.device,
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: the best checkpoint so far (if any) is in {args.out}/", file=sys.stderr)
        return 130
    which = ("validation accuracy (the early-stopping split: optimistic; pass --test-data for a test accuracy)"
             if metrics.get("validation_only") else "test accuracy")
    print(f"best epoch {history.best_epoch}: {which} {metrics['accuracy']:.3f}, "
          f"Cohen's kappa {metrics['kappa']:.3f}; model, card and plots in {args.out}/")
    return 0


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from eegzoo.apps.pretrain import pretrain

    (dataset,) = _dataset_names([args.dataset])
    result = pretrain(args.name, dataset, args.out, subject=args.subject, seed=args.seed, recipe=args.recipe,
                      license=args.license, repo_id=args.repo_id, device=args.device)
    verdict = ("above chance" if result.p_value < 0.05 else
               "NOT significantly above chance: weights worth sharing need more data or another model")
    print(f"{result.name}: held-out accuracy {result.accuracy:.3f} (chance {result.chance:.3f}, binomial p = "
          f"{result.p_value:.2g}: {verdict}), Cohen's kappa {result.kappa:.3f}; {result.n_train} training and "
          f"{result.n_test} held-out trials")
    print(f"wrote {args.out}/: a model folder (eegzoo predict {args.out} --data FILE; from_pretrained; push_to_hub) and "
          f"{result.spec_file.name}, the variant spec pinning its weights (eegzoo.register_spec(...), then "
          f"create_model('{result.name}', pretrained=True))")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from eegzoo.apps.experiment import evaluate_run

    metrics = evaluate_run(args.dir, args.data, subject=args.subject, seed=args.seed, n_trials=args.trials)
    print(json.dumps(metrics, indent=2))
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from eegzoo.apps.predict import predict_file

    rows, summary, path = predict_file(args.model, args.data, args.out, events=_comma_names(args.events),
                                       reject_by_annotation=args.reject_by_annotation)
    print(summary)
    if path is None:
        import csv

        writer = csv.writer(sys.stdout)
        for row in rows:
            writer.writerow(row)
    else:
        print(f"wrote {path} ({len(rows) - 1} trials)")
    return 0


def _cmd_datasets_list(args: argparse.Namespace) -> int:
    from eegzoo.registry import dataset_spec, list_datasets

    for name in list_datasets(args.pattern, tag=args.tag, registry=args.registry):
        spec = dataset_spec(name)
        source = spec.source
        where = f"{source.registry}:{getattr(source, 'package', getattr(source, 'dataset', getattr(source, 'root', '')))}"
        try:
            subjects = f"{len(spec.subjects):3d} subj"
        except ValueError:  # a local/BIDS folder that is not there
            subjects = "  ? subj (files missing)"
        print(f"{name:20s} {where:30s} {subjects}  {', '.join(spec.classes)}")
    return 0


def _cmd_datasets_info(args: argparse.Namespace) -> int:
    from eegzoo.registry import dataset_source, dataset_spec

    spec = dataset_spec(args.name)
    info = {
        "name": spec.name,
        "spec_file": dataset_source(args.name),
        "classes": spec.classes,
        "subjects": spec.subjects,
        "splits": spec.splits,
        "sfreq": spec.sfreq,
        "n_times": spec.n_times,
        "spec": spec.model_dump(mode="json", exclude_none=True),
    }
    if spec.on_disk:
        from eegzoo.data.datasets import describe_cache

        info["root"] = str(spec.root)
        info["recordings"] = [{"path": r.relative, "subject": r.subject, "split": r.split} for r in spec.recordings()]
        info["files"] = describe_cache(spec)
        if args.trials:
            info["trials"] = _trial_counts(spec)
    elif spec.source.registry != "moabb":
        from eegzoo.data.datasets import describe_cache
        from eegzoo.data.fetch import download_command

        info["download_command"] = download_command(spec)
        info["cache"] = describe_cache(spec)
    print(json.dumps(info, indent=2))
    return 0


def _trial_counts(spec) -> dict:
    """Trials per subject, split and class as the spec loads them (dropped ones reported)."""
    import warnings

    from eegzoo.data.datasets import load_dataset
    from eegzoo.data.events import TrialsDroppedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrialsDroppedWarning)
        data = load_dataset(spec)
    out = {}
    for subject, splits in data.items():
        for split, epochs in splits.items():
            names = {c: n for n, c in epochs.event_id.items()}
            counts: dict = {}
            for code in epochs.events[:, 2]:
                counts[names[code]] = counts.get(names[code], 0) + 1
            out[f"subject {subject}, split {split}"] = counts
    notes = [str(w.message) for w in caught if issubclass(w.category, TrialsDroppedWarning)]
    if notes:
        out["dropped or flagged"] = notes
    return out


def _cmd_datasets_init(args: argparse.Namespace) -> int:
    from eegzoo.apps.dataset_init import init_spec

    out, _, summary = init_spec(args.path, args.name, args.tmin, args.tmax, args.out, pattern=args.pattern, force=args.force)
    print(summary)
    print(f"use it by path (--datasets {out}, --data {out}) or by name: export EEGZOO_DATASET_PATH={out.parent}")
    return 0


def _cmd_datasets_hash(args: argparse.Namespace) -> int:
    from eegzoo.apps.dataset_init import hash_lines

    for line in hash_lines(args.path):
        print(line)
    return 0


def _cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from eegzoo.data.fetch import fetch_dataset
    from eegzoo.registry import dataset_spec, list_datasets

    names = list_datasets(registry=None) if args.all else args.names
    if not names:
        raise SpecError("eegzoo datasets fetch needs dataset NAMEs or --all.")
    if args.archive and len(names) != 1:
        raise SpecError("--archive goes with exactly one dataset name.")
    for name in names:
        spec = dataset_spec(name)
        if spec.source.registry == "moabb":
            print(f"{spec.name}: skipped, MOABB downloads it on first load_dataset('{spec.name}')")
            continue
        if spec.on_disk:
            print(f"{spec.name}: skipped, a {spec.source.registry} folder read where it is ({spec.root})")
            continue
        folder = fetch_dataset(spec, archive=args.archive, force=args.force, progress=not args.quiet)
        print(f"{spec.name}: {len(spec.files)} file(s) verified in {folder}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from eegzoo.apps.demo import run_demo

    return run_demo(args.out, quick=args.quick)


def _names(values: list[str] | None) -> list[str] | None:
    """``--models a b`` and ``--models a,b`` alike."""
    return None if values is None else [n for v in values for n in v.split(",") if n]


def _dataset_names(values: list[str] | None) -> list[str] | None:
    """Dataset names for the benchmark and pretrain: spec files given by path are registered
    and named by their name (see :func:`eegzoo.benchmark.dataset_names`)."""
    if values is None:
        return None
    from eegzoo.benchmark import dataset_names

    return dataset_names(values)


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from eegzoo.benchmark import DEFAULT_BASELINES, DEFAULT_MODELS, run_benchmark

    def report(done: int, total: int, cell, result, cached: bool) -> None:
        correct = sum(t == p for t, p in zip(result["y_true"], result["y_pred"]))
        c = cell.config
        print(f"[{done}/{total}] {c['method']['name']} on {c['dataset']} subject {c['subject']} seed {c['seed']}: "
              f"accuracy {correct / len(result['y_true']):.3f}" + (" (cached)" if cached else f", fit {sum(result['fit_seconds']):.1f} s"),
              flush=True)

    def started(n: int, total: int, cell) -> None:
        c = cell.config
        print(f"[start {n}/{total}] {c['method']['name']} on {c['dataset']} subject {c['subject']} seed {c['seed']}", flush=True)

    def skipped(dataset: str, model: str, reason: str) -> None:
        print(f"[not run] {model} on {dataset}: {reason}", flush=True)

    result = run_benchmark(
        _names(args.models) if args.models is not None else DEFAULT_MODELS, _dataset_names(_names(args.datasets)), args.seeds, args.out,
        _names(args.baselines) if args.baselines is not None else DEFAULT_BASELINES,
        recipe=args.recipe, epochs=args.epochs, n_jobs=args.n_jobs, backend=args.backend, report=report, started=started,
        skipped=skipped, scheduler=args.scheduler, address=args.address, threads=args.threads, device=args.device,
    )
    print(result.markdown)
    print(f"{len(result.cells)} cells in {result.seconds:.0f} s; " + ", ".join(str(p) for p in result.files.values()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eegzoo", description="A declarative model zoo for EEG.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list registered models")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern, e.g. '*lightconv*'")
    p.add_argument("--pretrained", action="store_true", help="only models with pretrained weights")
    p.add_argument("--tag", default=None, help="only models with this tag")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("info", help="spec, parameter count and shapes of a model")
    p.add_argument("name")
    p.set_defaults(func=_cmd_info)
    p = sub.add_parser("schema", help="JSON schema of spec files")
    p.set_defaults(func=_cmd_schema)
    p = sub.add_parser(
        "plugins", help="installed plugins: distribution, version, what each registered, errors",
        description="Set EEGZOO_DISABLE_PLUGINS=1 to turn plugin autoload off, or to a "
        "comma-separated list of plugin (entry-point or distribution) names to block those.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_plugins)
    p = sub.add_parser("card", help="print a model card, or write all of them")
    p.add_argument("name", nargs="?")
    p.add_argument("--all", action="store_true", help="(re)generate every card into --out")
    p.add_argument("--out", default="model_cards", help="folder for --all (default: model_cards)")
    p.set_defaults(func=_cmd_card)
    p = sub.add_parser("export", help="export a model for deployment")
    p.add_argument("name", help="registered model name (its architecture/spec)")
    p.add_argument("--format", required=True, choices=["onnx", "torchscript", "exported-program"])
    p.add_argument("--out", required=True, help="output file")
    p.add_argument("--weights", default=None, help="a save_pretrained folder or Hub id to export instead of fresh weights")
    p.set_defaults(func=_cmd_export)
    for command, helptext in (("train", "train a registered model"), ("evaluate", "evaluate a trained model folder")):
        p = sub.add_parser(command, help=helptext)
        if command == "train":
            p.add_argument("name", help="registered model name")
            p.add_argument("--out", required=True, help="output folder")
            p.add_argument("--recipe", default="default", help="training recipe: 'default' (AdamW + cosine), 'lightconvnet' "
                           "(the paper's), 'benchmark' or 'benchmark-cropped'")
            p.add_argument("--cropped", action="store_true", help="cropped decoding: the model predicts at every time point and "
                           "trains on the average (needs a model made for it, e.g. shallowfbcspnet-cropped)")
            p.add_argument("--device", default=None, help="where to train: cpu, cuda, cuda:1 (default: CUDA when available)")
            p.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the recipe's)")
            p.add_argument("--lr", type=float, default=None, help="learning rate (default: the recipe's)")
            p.add_argument("--batch-size", type=int, default=None, help="batch size (default: the recipe's)")
            p.add_argument("--patience", type=int, default=None, help="early-stopping patience in epochs (default: the recipe's)")
            p.add_argument("--test-data", default=None, help="test recording (default: session E / held-out trials)")
            p.add_argument("--channels", default=None, help="channels to use, in this order, e.g. 'C3,Cz,C4' (matched ignoring "
                           "case; default: the model's named channels if the data have them, else the data's EEG channels)")
            p.add_argument("--classes", default=None, help="event names that are classes, in output order, e.g. "
                           "'769,770,771,772' (default: all event names, by event code)")
            p.add_argument("--tmin", type=float, default=None, help="window start relative to the event in s (default 0)")
            p.add_argument("--tmax", type=float, default=None, help="window end relative to the event in s, inclusive as in "
                           "mne.Epochs (default: the trials' annotated duration; required when they have none)")
            p.add_argument("--sfreq", type=float, default=None, help="resample the data to this rate in Hz, below the data's "
                           "(default: the data's)")
            p.add_argument("--reject-by-annotation", action="store_true", help="drop trials that overlap BAD_* annotations "
                           "(default: keep them; either way they are counted and reported)")
            p.set_defaults(func=_cmd_train)
        else:
            p.add_argument("dir", help="a folder written by eegzoo train / save_pretrained")
            p.set_defaults(func=_cmd_evaluate)
        p.add_argument("--data", required=True, help="'simulated', a registered dataset (eegzoo datasets list: training/test "
                       "part of its protocol's first fold) or an EEG file (epochs -epo.fif, or a raw recording with annotations)")
        p.add_argument("--subject", type=int, default=1, help="subject of the simulated set or of a dataset")
        p.add_argument("--trials", type=int, default=36, help="simulated trials per class and session")
        p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("pretrain", help="train a pretrained variant on a dataset: weights, variant spec and card",
                       description="Train NAME on one subject of DATASET (a registered name or a spec file) with the "
                       "dataset protocol's first split, test on its held-out part, and write OUT: a model folder "
                       "(config.json, model.safetensors, README.md card with the held-out results) and "
                       "NAME.DATASET.json, a variant spec pinning the weights by sha256.")
    p.add_argument("name", help="registered model name")
    p.add_argument("--dataset", required=True, help="registered dataset name or dataset spec file (.toml/.json)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--subject", type=int, default=1, help="subject to train and test on (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the training run and of the k-fold split (default 0)")
    p.add_argument("--recipe", default="benchmark", help="training recipe (default: benchmark)")
    p.add_argument("--license", default=None, help="license of the weights (default: the dataset's license)")
    p.add_argument("--repo-id", default=None, help="Hub repo the weights are meant for, owner/name (default: local/NAME.DATASET)")
    p.add_argument("--device", default=None, help="where to train: cpu, cuda, cuda:1 (default: CUDA when available)")
    p.set_defaults(func=_cmd_pretrain)
    p = sub.add_parser("predict", help="predict every trial of a recording with a trained model (CSV)",
                       description="MODEL: a folder written by eegzoo train / save_pretrained, a Hub repo id, or a registered "
                       "model with pretrained weights. The data are prepared as the model's input contract says (channels "
                       "by name, rate, window, unit); the trials are the events named like the model's classes, or --events.")
    p.add_argument("model")
    p.add_argument("--data", required=True, help="a recording (any format mne reads; events from its annotations) or an "
                   "epochs file (-epo.fif, epoched EEGLAB .set)")
    p.add_argument("--out", default=None, help="CSV file to write (default: print the rows)")
    p.add_argument("--events", default=None, help="event names that mark the trials, e.g. 'upright,inverted' "
                   "(default: the event names the model was trained on, else its class names)")
    p.add_argument("--reject-by-annotation", action="store_true", help="leave out trials overlapping BAD_* annotations "
                   "(default: predict them too; either way they are counted)")
    p.set_defaults(func=_cmd_predict)
    datasets = sub.add_parser("datasets", help="registered real EEG datasets: list, info, init, hash, fetch")
    dsub = datasets.add_subparsers(dest="datasets_command", required=True)
    p = dsub.add_parser("list", help="list registered datasets")
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern, e.g. 'bnci*'")
    p.add_argument("--tag", default=None, help="only datasets with this tag")
    p.add_argument("--registry", default=None, choices=["pypi", "debian", "moabb", "local", "bids"], help="only datasets from this source")
    p.set_defaults(func=_cmd_datasets_list)
    p = dsub.add_parser("info", help="a dataset's spec, source and cache state (JSON)")
    p.add_argument("name", help="dataset name or spec file")
    p.add_argument("--trials", action="store_true", help="also load it and count trials per subject, split and class")
    p.set_defaults(func=_cmd_datasets_info)
    p = dsub.add_parser("init", help="write a dataset spec for a folder of recordings, a BIDS root or one file",
                        description="Reads every recording (BrainVision, EEGLAB, BDF, EDF, GDF, FIF, CNT, -epo.fif; or a "
                        "BIDS dataset with mne-bids), checks that they agree, and writes a spec with their channels, rate, "
                        "units, events (with counts) and sha256, loaded once before it is written.")
    p.add_argument("path", help="a folder of recordings, a BIDS root, or one file")
    p.add_argument("--name", required=True, help="the dataset's name (lower case); the spec file is NAME.toml")
    p.add_argument("--tmin", type=float, required=True, help="window start relative to each event, in s")
    p.add_argument("--tmax", type=float, required=True, help="window end relative to each event, in s (exclusive)")
    p.add_argument("--out", default=None, help="spec file to write (default: ./NAME.toml)")
    p.add_argument("--pattern", default=None, help="regex on each file's path with groups (?P<subject>\\d+) and/or "
                   "(?P<split>...) (default: sub-(?P<subject>\\d+))")
    p.add_argument("--force", action="store_true", help="replace an existing spec file")
    p.set_defaults(func=_cmd_datasets_init)
    p = dsub.add_parser("hash", help="print sha256 lines of a file or of every file under a folder")
    p.add_argument("path")
    p.set_defaults(func=_cmd_datasets_hash)
    p = dsub.add_parser("fetch", help="download, verify and cache datasets' files")
    p.add_argument("names", nargs="*", help="dataset names or spec files")
    p.add_argument("--all", action="store_true", help="every registered dataset fetched by a package client")
    p.add_argument("--archive", default=None, help="use this already-downloaded archive (checked against the spec's sha256)")
    p.add_argument("--force", action="store_true", help="extract again even if the cached files are intact")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_cmd_datasets_fetch)
    p = sub.add_parser("benchmark", help="zoo models next to classic baselines under each dataset's protocol")
    p.add_argument("--models", nargs="+", default=None,
                   help="registered models, space or comma separated, or 'all' (every architecture; default: "
                   "fblightconvnet eegnet shallowfbcspnet fbcnet)")
    p.add_argument("--datasets", nargs="+", default=None, help="registered datasets (default: every offline dataset with a task)")
    p.add_argument("--baselines", nargs="*", default=None, help="classic pipelines (default: csp-lda ts-lr means-slda; none: --baselines)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--out", default="runs/benchmark", help="output folder; finished cells are cached there (default: runs/benchmark)")
    p.add_argument("--recipe", default="benchmark", help="training recipe of the zoo models (default: benchmark)")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the recipe's)")
    p.add_argument("--n-jobs", type=int, default=-1, help="parallel jobs (default: all cores)")
    p.add_argument("--backend", default=None, choices=["loky", "threading", "multiprocessing", "dask", "ray"],
                   help="where cells run: loky processes (default), threading, dask or ray (pip install 'eegzoo[cluster]')")
    p.add_argument("--scheduler", default=None, help="dask: address of a running scheduler, e.g. tcp://host:8786 "
                   "(default: a LocalCluster of --n-jobs workers on this machine)")
    p.add_argument("--address", default=None, help="ray: address of a running cluster, e.g. host:6379 or auto "
                   "(default: a local ray.init on this machine)")
    p.add_argument("--threads", type=int, default=1, help="torch/BLAS threads per cell (default: 1, the same table on every backend)")
    p.add_argument("--device", default=None, help="where zoo models train: cuda, cuda:1, cpu (default: CUDA when available)")
    p.set_defaults(func=_cmd_benchmark)
    p = sub.add_parser("demo", help="the end-to-end demo")
    p.add_argument("--out", default="runs/demo", help="output folder (default: runs/demo)")
    p.add_argument("--quick", action="store_true", help="fewer trials/epochs (for CI)")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SpecError, RegistryError, DatasetError, ValueError, FileNotFoundError, FileExistsError, ImportError, TypeError,
            NotImplementedError) as err:
        print(f"eegzoo: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
