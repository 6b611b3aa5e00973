"""Benchmark 1 (the BindsNET paper network) in BindsNET 0.3.4 on the CPU.

    <bindsnet venv>/bin/python benchmarks/peers/paper_bindsnet.py N [--threads 2] [--bernoulli]

As in shared/reference/peer-benchmarks.md: torch.set_num_threads, manual_seed(4321);
Network(dt=1.0), Input(N), LIFNodes(N, thresh=-52, rest=-65, reset=-65, refrac=5,
tc_decay=100), Connection(w=W) float32, Monitor(Y, ['s'], time=1000); input
bindsnet.encoding.poisson(rates, time=1000, dt=1) or, with --bernoulli,
rand(T, N) < rate*dt/1000.  build = network construction + encoding, run = network.run.
Prints one JSON line.
"""

import time
import warnings

from _shared import emit, network, parser

args = parser(__doc__)
args.add_argument("--bernoulli", action="store_true")
args = args.parse_args()
n = args.n
rates, W = network(n)
warnings.simplefilter("ignore")
import bindsnet  # noqa: E402,F401
import torch  # noqa: E402
from bindsnet.encoding import poisson  # noqa: E402
from bindsnet.network import Network  # noqa: E402
from bindsnet.network.monitors import Monitor  # noqa: E402
from bindsnet.network.nodes import Input, LIFNodes  # noqa: E402
from bindsnet.network.topology import Connection  # noqa: E402

T = 1000
torch.set_num_threads(args.threads)
torch.manual_seed(4321)
t0 = time.perf_counter()
net = Network(dt=1.0)
X = Input(n)
Y = LIFNodes(n, thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5, tc_decay=100.0)
net.add_layer(X, name="X")
net.add_layer(Y, name="Y")
net.add_connection(Connection(source=X, target=Y, w=torch.from_numpy(W)), source="X", target="Y")
mon = Monitor(Y, ["s"], time=T)
net.add_monitor(mon, name="Y")
r = torch.from_numpy(rates).float()
if args.bernoulli:
    spikes = torch.rand(T, n) < r * 1.0 / 1000.0
else:
    spikes = poisson(datum=r, time=T, dt=1.0)
build = time.perf_counter() - t0
t0 = time.perf_counter()
net.run(inputs={"X": spikes}, time=T)
t_run = time.perf_counter() - t0
from importlib.metadata import version  # noqa: E402

emit(simulator="bindsnet", target="bernoulli" if args.bernoulli else "poisson", n=n, threads=args.threads,
     build=build, run=t_run, spikes=int(mon.get("s").sum()),
     versions=dict(bindsnet=version("bindsnet"), torch=torch.__version__))
