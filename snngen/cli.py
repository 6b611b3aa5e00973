"""``snngen`` / ``python -m snngen``: the demo, the model catalogue and the cache.

    snngen demo [options]         a spiking network learns MNIST digits without labels (about a minute)
    snngen demo --neurons [--plot FILE]   prebuilt neuron models against theory (f-I curve, Izhikevich)
    snngen models                 list the prebuilt models
    snngen show MODEL             print a model file (to read or copy)
    snngen cache [--clear]        where compiled kernels and symbolic results live (--clear: remove all)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

import numpy as np


def _lif_fi_curve(duration_ms=1000):
    """200 LIF neurons, currents 0-3 nA: simulated rates vs the closed-form ISI."""
    import snngen as sg
    from snngen import models
    from snngen.units import ms, nA

    G = models.LIF(200)
    G.I = np.linspace(0, 3, 200) * nA
    mon = sg.SpikeMonitor(G)
    net = sg.Network(G, mon, dt=0.1 * ms)
    t0 = time.perf_counter()
    net.run(duration_ms * ms, namespace={})
    seconds = time.perf_counter() - t0
    p = {k: float(np.asarray(v)) for k, v in G.model_spec.parameters.items()}
    RI = p["R"] * G.I_
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = np.where(RI > p["v_th"] - p["v_rest"],
                       p["tau"] * np.log((RI - (p["v_reset"] - p["v_rest"])) / (RI - (p["v_th"] - p["v_rest"])))
                       + p["t_ref"], np.inf)
    theory = np.where(np.isfinite(isi), 1 / isi, 0.0)
    rate = mon.count / (duration_ms * 1e-3)
    return G.I_ / float(np.asarray(nA)), rate, theory, seconds


def _izhikevich_patterns(duration_ms=300):
    """One neuron per Izhikevich (2003) preset, step current I = 10 from 20 ms."""
    import snngen as sg
    from snngen import models
    from snngen.units import ms, mV

    spec = models.get("Izhikevich")
    rows = []
    for preset in spec.presets:
        G = models.Izhikevich(1, preset=preset)
        mon = sg.SpikeMonitor(G)
        net = sg.Network(G, mon, dt=0.1 * ms)
        net.run(20 * ms, namespace={})
        G.I = 10 * mV
        net.run((duration_ms - 20) * ms, namespace={})
        rows.append((preset, mon.t_ * 1e3))
    return rows


def neuron_demo(plot=None):
    print("snngen demo — prebuilt models from models/*.toml, compiled to one Numba loop each\n")
    current, rate, theory, seconds = _lif_fi_curve()
    print("1. LIF f-I curve (200 neurons, 1 s at dt = 0.1 ms): simulated vs closed-form rate")
    print(f"   {'I (nA)':>8} {'simulated (Hz)':>15} {'theory (Hz)':>12}")
    for k in range(0, 200, 25):
        print(f"   {current[k]:8.2f} {rate[k]:15.1f} {theory[k]:12.1f}")
    firing = theory > 0
    err = np.max(np.abs(rate[firing] - theory[firing]) / theory[firing])
    print(f"   max relative deviation where firing: {100 * err:.2f} % (spike times fall on the 0.1 ms grid)")
    print(f"   run time {seconds * 1e3:.0f} ms (includes compiling, or loading it from the cache)\n")

    print("2. Izhikevich (2003) firing patterns, I = 10 from t = 20 ms (spike times in ms)")
    rows = _izhikevich_patterns()
    for preset, times in rows:
        raster = ["."] * 70
        for t in times:
            raster[min(69, int(t / 300 * 70))] = "|"
        isi = np.diff(times)
        print(f"   {preset:>4} {''.join(raster)} {len(times):3d} spikes"
              + (f", ISI {isi.min():.1f}-{isi.max():.1f} ms" if len(isi) else ""))
    if plot:
        _plot(plot, current, rate, theory, rows)
        print(f"\nplot written to {plot}")


def _plot(path, current, rate, theory, rows):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--plot needs matplotlib: pip install 'snngen[plot]'")
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.plot(current, theory, "k-", label="closed form")
    a.plot(current, rate, "r.", ms=3, label="snngen")
    a.set(xlabel="I (nA)", ylabel="rate (Hz)", title="LIF f-I curve")
    a.legend()
    for k, (_preset, times) in enumerate(rows):
        b.plot(times, np.full(len(times), k), "|", ms=10)
    b.set(yticks=range(len(rows)), yticklabels=[p for p, _ in rows], xlabel="t (ms)",
          title="Izhikevich firing patterns")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="snngen", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    from .ml import demo as ml_demo

    p_demo = sub.add_parser("demo", help="a spiking network learns MNIST digits (--neurons: the neuron models)",
                            description=ml_demo.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ml_demo.add_arguments(p_demo)
    g = p_demo.add_argument_group("the neuron-model demo")
    g.add_argument("--neurons", action="store_true",
                   help="instead: an LIF f-I curve against its closed form, and Izhikevich's firing patterns")
    g.add_argument("--plot", metavar="FILE", help="with --neurons: also save a figure")
    sub.add_parser("models", help="list the prebuilt models")
    p_show = sub.add_parser("show", help="print a model file")
    p_show.add_argument("model")
    p_cache = sub.add_parser("cache", help="show (or --clear) the compiled-kernel cache")
    p_cache.add_argument("--clear", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.neurons:
            neuron_demo(args.plot)
        else:
            if args.plot:
                parser.error("--plot goes with --neurons (the MNIST demo writes its pictures to --out)")
            from .errors import ModelError

            try:
                ml_demo.run(args)
            except ModelError as e:  # no GPU for --backend cuda, an unusable option value ...
                sys.exit(f"snngen demo: {e}")
    elif args.command == "models":
        from . import models

        for name in models.list_models():
            spec = models.get(name)
            print(f"{name:20} {spec.kind:7} {spec.title}")
    elif args.command == "show":
        from . import models

        print(models.get(args.model).source)
    elif args.command == "cache":
        _cache(args.clear)
    return 0


def _cache(clear):
    """Print the cache folders (every kind and version) with their sizes; ``clear`` removes them."""
    from .codegen.compiler import cache_folders, cache_root
    from .prefs import prefs

    print(f"cache directory: {prefs.cache_dir}")
    print(f"this version's CPU kernels: {cache_root()}")
    folders = cache_folders()
    for folder in folders:
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"  {folder.name:70} {size / 1e6:8.1f} MB")
    if not folders:
        print("  (empty)")
    if clear:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"cleared {len(folders)} folder(s)")


if __name__ == "__main__":
    sys.exit(main())
