"""``graphgrad train``: train a classifier on images, with a progress bar, checkpoints and plots.

The loop is ordinary PyTorch code run on graphgrad (``import graphgrad as torch``):
``loss = F.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step()``.
Randomness is drawn from ``--seed``: the initial weights from ``torch.manual_seed(seed)``, and each
epoch's shuffling, shifts and dropout from generators seeded with (seed, epoch), so that a run
resumed from a checkpoint takes the same steps as one that was never interrupted.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

import graphgrad as torch
from graphgrad.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from . import checkpoint, data, models, report
from ._common import CLIError, need, sigint_deferred
from .parallel import Job

F = torch.nn.functional

DEFAULTS = {"model": "conv", "epochs": 30, "batch_size": 64, "optimizer": "adam", "seed": 0, "shift": 2}
DEFAULT_LR = {"adam": 0.01, "sgd": 0.05}
SGD_MOMENTUM = 0.9


def epoch_seed(seed, epoch):
    """An integer seed for epoch ``epoch`` of a run with ``seed`` (negative seeds wrap as manual_seed's do)."""
    return int(np.random.SeedSequence([seed % 2**64, epoch]).generate_state(1)[0])


def cosine_lr(base, step, total, start=0):
    """The learning rate at ``step``: cosine decay from ``base`` at step ``start`` to 0 at step ``total``."""
    return base * 0.5 * (1.0 + math.cos(math.pi * (step - start) / max(total - start, 1)))


def lr_schedule(s, old_meta, steps_per_epoch, start_epoch):
    """``(base, start)`` of the cosine: a resume that changes --epochs (or --lr) goes on from the rate the old
    schedule had reached (or the new --lr) down to 0 at the new last step, instead of jumping back up."""
    total = s["epochs"] * steps_per_epoch
    old = (old_meta or {}).get("lr_schedule")
    if old_meta is None:
        return s["lr"], 0
    if old is None:  # written before the schedule was recorded: it started at step 0 with the run's lr
        old = [old_meta["lr"], 0, old_meta["epochs"] * steps_per_epoch]
    base, start, old_total = old
    if old_total == total and s["lr"] == old_meta["lr"]:
        return base, start  # the same run, resumed: the same schedule
    last = start_epoch * steps_per_epoch - 1  # the last step taken: the new cosine goes on from its rate
    now = cosine_lr(base, last, old_total, start) if s["lr"] == old_meta["lr"] else s["lr"]
    return now, last


def make_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=SGD_MOMENTUM)
    return torch.optim.Adam(params, lr=lr)


def evaluate(model, x, y, mean, std, batch_size=1000):
    """(mean loss, accuracy, predictions) of ``model`` on prepared images ``x`` and labels ``y``."""
    model.eval()
    losses, preds = [], []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = (torch.from_numpy(x[i : i + batch_size]) - mean) / std
            yb = torch.from_numpy(y[i : i + batch_size])
            logits = model(xb)
            losses.append(F.cross_entropy(logits, yb, reduction="sum").item())
            preds.append(logits.argmax(1).numpy())
    pred = np.concatenate(preds)
    return sum(losses) / len(x), float((pred == y).mean()), pred


def _settings(args, resumed):
    """The run's settings: what the user gave, else the resumed checkpoint's, else the defaults."""
    old = resumed["meta"] if resumed else {}
    s = {}
    for key in ("epochs", "batch_size", "optimizer", "seed", "shift"):
        given = getattr(args, key)
        s[key] = given if given is not None else old.get(key, DEFAULTS[key])
    s["model"] = resumed["model_name"] if resumed else (args.model or DEFAULTS["model"])
    same_optimizer = resumed and s["optimizer"] == old.get("optimizer")
    s["lr"] = args.lr if args.lr is not None else (old["lr"] if same_optimizer else DEFAULT_LR[s["optimizer"]])
    s["limit"] = args.limit if args.limit is not None else old.get("limit")
    return s


def _check_resume_data(args, resumed, ckpt_path):
    old = resumed["meta"]
    if args.data is not None:
        given = os.path.abspath(args.data)
        if given != old["data"]:
            raise CLIError(f"{ckpt_path}: this run was trained on {old['data_name']}, not {args.data}; "
                           "resume it on the same data (leave out --data), or start a new run with another --out")
    if args.limit is not None and args.limit != old.get("limit"):
        trained = (f"with --limit {old['limit']}" if old.get("limit") is not None else
                   f"without --limit (on all {old['n_images']:,} images)")
        raise CLIError(f"{ckpt_path}: this run was trained {trained}, not --limit {args.limit}; resume it with "
                       "the same --limit (or leave it out), or start a new run with another --out")


def _images(source):
    return data.load_digits() if source in (None, "digits") else data.load_npz(source)


def run(args):
    """The train command: returns the process exit status."""
    out = args.out or os.path.join("runs", ("digits" if args.data is None else
                                            os.path.splitext(os.path.basename(args.data))[0])
                                   + "-" + (args.model or DEFAULTS["model"]))
    ckpt_path = os.path.join(out, checkpoint.FILENAME)
    job = Job()
    say = (lambda *a: None) if args.quiet or not job.lead else (lambda *a: print(*a, flush=True))

    resumed = None
    if args.resume:
        if not os.path.exists(ckpt_path):
            raise CLIError(f"--resume: there is no checkpoint to resume in {out} (no {checkpoint.FILENAME}); "
                           "run without --resume to start")
        resumed = checkpoint.load(ckpt_path)
        if args.model is not None and args.model != resumed["model_name"]:
            checkpoint.restore_model(resumed, ckpt_path, args.model)  # raises: another model
        _check_resume_data(args, resumed, ckpt_path)
    s = _settings(args, resumed)
    if s["epochs"] < 1 or s["batch_size"] < 1 or not s["lr"] > 0 or s["shift"] < 0:
        raise CLIError("--epochs and --batch-size must be at least 1, --lr above 0, --shift at least 0")

    # --- data ---
    images = _images(resumed["meta"]["data"] if resumed else args.data)
    x_raw, y = images.x, images.y
    classes = int(y.max()) + 1
    if resumed:
        meta = dict(resumed["meta"])
        if x_raw.shape[1] != meta["in_channels"] or classes > meta["classes"] or len(y) != meta["n_images"]:
            raise CLIError(f"{images.name} has changed since {ckpt_path} was written "
                           f"({len(y)} images with {x_raw.shape[1]} channels and {classes} classes, "
                           f"the checkpoint expects {meta['n_images']}, {meta['in_channels']} and {meta['classes']})")
        lo, hi = meta["range"]
    else:
        used = len(np.unique(y))
        if used < 2:
            raise CLIError(f"{images.name}: y holds only one class ({y[0]}); a classifier needs at least two")
        if classes > 10 and used < classes / 2:
            # labels 0, 100, 200, ... would make a 901-way classifier of mostly empty classes
            raise CLIError(f"{images.name}: labels are not numbered 0..K-1: y holds {used} distinct labels, the "
                           f"largest {classes - 1}; renumber them, e.g. y = np.unique(y, return_inverse=True)[1]")
        lo, hi = data.value_range(x_raw)
    # everything the run will need, checked before it starts rather than found missing at its end
    need("sklearn", "matplotlib", "graphviz", "safetensors", *(() if args.quiet else ("tqdm",)),
         purpose="graphgrad train")
    x = data.prepare(x_raw, lo, hi)
    train_idx, test_idx = data.split(y, s["limit"])
    x_train, y_train, x_test, y_test = x[train_idx], y[train_idx], x[test_idx], y[test_idx]
    if resumed:
        mean, std = meta["mean"], meta["std"]
    else:
        mean, std = float(x_train.mean()), float(x_train.std()) or 1.0
        meta = {
            "data": images.source, "data_name": images.name, "n_images": len(y), "limit": s["limit"],
            "split_seed": data.SPLIT_SEED, "test_fraction": data.TEST_FRACTION,
            "in_channels": int(x_raw.shape[1]), "image_size": list(x_raw.shape[2:]), "classes": classes,
            "range": [lo, hi], "mean": mean, "std": std, "graphgrad": torch.__version__,
        }
    meta.update({k: s[k] for k in ("epochs", "batch_size", "optimizer", "lr", "seed", "shift")})

    # --- model and optimizer ---
    torch.manual_seed(s["seed"] % 2**64)  # as torch.manual_seed(-1) wraps
    if resumed:
        model = checkpoint.restore_model(resumed, ckpt_path)
    else:
        model = models.build(s["model"], meta["in_channels"], classes)
    optimizer = make_optimizer(s["optimizer"], model.parameters(), s["lr"])
    start = 0
    if resumed:
        start = int(resumed["epoch"])
        if resumed["meta"]["optimizer"] == s["optimizer"]:
            try:
                optimizer.load_state_dict(resumed["optimizer"])
            except (ValueError, KeyError, RuntimeError) as e:
                raise CLIError(f"{ckpt_path}: its optimizer state does not fit ({e})") from None
        if start >= s["epochs"]:
            print(f"{ckpt_path} already holds epoch {start} of {s['epochs']}: nothing to do "
                  f"(pass a larger --epochs to train on)")
            return 0

    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(f"--out {out}: is a file, not a directory")
    if job.lead:
        os.makedirs(out, exist_ok=True)
    if job.lead and not resumed and os.path.exists(ckpt_path):
        print(f"note: starting a new run in {out}; it replaces the checkpoint there "
              "(use --resume to continue that one instead)", file=sys.stderr)
    n_params = sum(p.numel() for p in model.parameters())
    size = "x".join(map(str, x_raw.shape[2:]))
    say(f"graphgrad train: {s['model']} ({type(model).__name__}, {n_params:,} parameters) on {images.name}: "
        f"{len(train_idx):,} training / {len(test_idx):,} held-out images, {size}"
        f"{'' if size == '28x28' else ' -> 28x28'}, {classes} classes")
    say(f"  {s['optimizer']} lr {s['lr']:g} (cosine decay), batch {s['batch_size']}, {s['epochs']} epochs, "
        f"seed {s['seed']}" + (f", resuming after epoch {start}" if resumed else "") + f" -> {out}")
    if job.world > 1:
        say(f"  data-parallel over {job.world} processes (MPI): each takes 1/{job.world} of every batch")

    rows = report.read_metrics(os.path.join(out, "metrics.csv"), start) if resumed else []
    # Creation sites stay recorded: this package counts as user code, so a node's site is the line of
    # models.py or this file that made it (recording them costs about 1% of training time).
    return _loop(args, s, model, optimizer, meta, start, rows, out, ckpt_path, say,
                 (x_train, y_train, x_test, y_test, mean, std), resumed["meta"] if resumed else None, job)


def _diverged(what, epoch, step, completed, ckpt_path, out, s, job):
    """Stop training without writing anything: the checkpoint keeps the last good epoch."""
    if not job.lead:  # every rank saw the same (summed) numbers and stops too; rank 0 says why
        return 1
    kept = (f"{ckpt_path} still holds epoch {completed}, the last good one; resume it with a smaller --lr: "
            f"graphgrad train --out {out} --resume --lr {s['lr'] / 10:g}" if completed else
            "no checkpoint was written")
    print(f"training stopped in epoch {epoch}, step {step + 1}: {what} (the learning rate {s['lr']:g} is probably "
          f"too large). {kept}", file=sys.stderr, flush=True)
    return 1


def _loop(args, s, model, optimizer, meta, start, rows, out, ckpt_path, say, arrays, old_meta, job):
    x_train, y_train, x_test, y_test, mean, std = arrays
    dataset = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    steps_per_epoch = math.ceil(len(x_train) / s["batch_size"])
    total_steps = s["epochs"] * steps_per_epoch
    # a progress bar only on a terminal: redirected into a log file it would be noise
    show_bar = not args.quiet and job.lead and sys.stderr.isatty()
    tqdm = need("tqdm", purpose="the progress bar").tqdm if show_bar else None
    trained = job.wrap(model)  # the model itself, or its DistributedDataParallel wrapper
    lr_base, lr_start = lr_schedule(s, old_meta, steps_per_epoch, start)
    meta["lr_schedule"] = [lr_base, lr_start, total_steps]
    graph = None
    t_run = time.perf_counter()
    epoch = completed = start
    # a diverging step is reported once, clearly, by the checks below: not by NumPy's overflow warnings
    quiet_numpy = np.errstate(over="ignore", invalid="ignore", divide="ignore")
    quiet_numpy.__enter__()
    try:
        for epoch in range(start + 1, s["epochs"] + 1):
            t0 = time.perf_counter()
            eseed = epoch_seed(s["seed"], epoch)
            torch.manual_seed(eseed + job.rank)  # dropout (each rank its own masks)
            aug_rng = np.random.default_rng([eseed, job.rank] if job.world > 1 else eseed)  # shifts
            sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(eseed))
            # Whole batches at once (one fancy index per batch, not one __getitem__ per image).
            batches = BatchSampler(sampler, s["batch_size"], drop_last=False)
            loader = DataLoader(dataset, sampler=batches if job.world == 1 else [job.share(b) for b in batches],
                                batch_size=None)
            bar = tqdm(desc=f"epoch {epoch}/{s['epochs']}", total=steps_per_epoch, leave=False, unit="batch",
                       file=sys.stderr, dynamic_ncols=True) if tqdm else None
            model.train()
            seen = correct = 0
            loss_sum = 0.0
            for i, (xb, yb) in enumerate(loader):
                step = (epoch - 1) * steps_per_epoch + i
                lr = cosine_lr(lr_base, step, total_steps, lr_start)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                xb = torch.from_numpy(data.shift(xb.numpy(), aug_rng, s["shift"]))
                xb = (xb - mean) / std
                logits = trained(xb)
                loss = F.cross_entropy(logits, yb)
                if graph is None and job.lead:  # the graph of one training step, before backward() frees its buffers
                    graph = report.graph_sources(loss, model)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                n = len(yb)
                step_loss, step_correct, step_n = job.total(loss.item() * n, (logits.argmax(1) == yb).sum().item(), n)
                if not math.isfinite(step_loss):
                    return _diverged(f"the loss is {step_loss / step_n}", epoch, i, completed, ckpt_path, out, s,
                                     job)
                seen += int(step_n)
                loss_sum += step_loss
                correct += int(step_correct)
                if bar is not None:
                    bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{100 * correct / seen:.2f}%", refresh=False)
                    bar.update()
            if bar is not None:
                bar.refresh()  # the epoch's final numbers (tqdm redraws at most 10 times a second)
                bar.close()
            test_loss, test_acc, _ = evaluate(model, x_test, y_test, mean, std)
            row = {"epoch": epoch, "train_loss": loss_sum / seen, "train_accuracy": correct / seen,
                   "test_loss": test_loss, "test_accuracy": test_acc, "lr": lr,
                   "seconds": time.perf_counter() - t0}
            rows.append(row)
            meta["test_accuracy"] = test_acc
            bad = [name for name, p in model.state_dict().items() if not np.isfinite(p.numpy()).all()]
            if bad or not math.isfinite(test_loss):
                what = (f"the weights {', '.join(bad[:3])} are not finite" if bad else
                        f"the held-out loss is {test_loss}")
                return _diverged(what, epoch, steps_per_epoch - 1, completed, ckpt_path, out, s, job)
            with sigint_deferred():  # a Ctrl-C here lands after all three lines
                if job.lead:
                    checkpoint.save(ckpt_path, s["model"], model, optimizer, epoch, meta)
                    report.write_metrics(os.path.join(out, "metrics.csv"), rows)
                completed = epoch
            say(f"epoch {epoch:>{len(str(s['epochs']))}}/{s['epochs']}  loss {row['train_loss']:.4f}  "
                f"acc {100 * row['train_accuracy']:6.2f}%  |  held-out loss {test_loss:.4f}  "
                f"acc {100 * test_acc:6.2f}%  |  {row['seconds']:.1f}s")
    except KeyboardInterrupt:
        if not job.lead:
            return 130
        if completed >= 1:
            print(f"\ninterrupted in epoch {completed + 1}: {ckpt_path} holds the last complete epoch ({completed}). "
                  f"Continue with: graphgrad train --out {out} --resume", file=sys.stderr, flush=True)
        else:
            print(f"\ninterrupted in epoch {completed + 1}, before any epoch was complete: no checkpoint to resume "
                  "from; run the same command again to start over", file=sys.stderr, flush=True)
        return 130
    finally:
        quiet_numpy.__exit__(None, None, None)

    elapsed = time.perf_counter() - t_run
    if not job.lead:
        return 0
    written = [checkpoint.FILENAME, "metrics.csv"]
    title = f"{type(model).__name__} on {meta['data_name']}"
    report.plot_curves(os.path.join(out, "curves.png"), rows, title)
    _, acc, pred = evaluate(model, x_test, y_test, mean, std)
    cm = report.confusion_matrix(y_test, pred, meta["classes"])
    report.plot_confusion(os.path.join(out, "confusion.png"), cm,
                          f"held-out accuracy {100 * acc:.2f}% ({int(np.trace(cm))}/{len(y_test)})")
    written += ["curves.png", "confusion.png"]
    if graph is not None:
        written += report.write_graph(out, *graph)
    ran = epoch - start
    print(f"held-out accuracy {100 * acc:.2f}% ({int(np.trace(cm))}/{len(y_test)}) after epoch {epoch}; "
          f"{ran} epoch{'s' if ran != 1 else ''} in {elapsed:.1f}s")
    say(f"wrote {out}/: {', '.join(written)}")
    say(f"evaluate with: graphgrad evaluate {ckpt_path}")
    return 0
