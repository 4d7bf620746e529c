"""SpeechEncoder against the plain per-clip transformers loop; memory for 10,000 clips.

Speed: clips per second of ``SpeechEncoder(...).transform`` against the loop a
skilled user writes, clip by clip::

    inputs = feature_extractor(clip, sampling_rate=16000, return_tensors="pt")
    out = model(**inputs, output_hidden_states=True)
    embedding = out.hidden_states[layer][0].mean(0)   # or last_hidden_state

timed at its best thread setting (torch with 1 thread and with all cores; the
faster is the reference), with the same outputs (the largest difference is
printed). Random models of two sizes, built from a config (no download): a
tiny one, and the base size of wav2vec 2.0 / HuBERT (12 layers of 768, 95 M
weights, group-normalised feature encoder as in the base checkpoints), on
recordings of 3 to 8 s at 16 kHz, for the last layer and a middle one.

Memory: peak resident memory (``VmHWM``, reset after a warm-up) of
transforming 1,000 and 10,000 recordings (file paths; ``layer="all"``, the
whole stack of layers, pooled) in fresh processes: it should not grow with the
number of recordings beyond their output, since no frame-level state is kept
past its block of recordings. (``ru_maxrss`` would not do: a child process
starts with its parent's.)

    python benchmarks/bench_encoders.py [--parts speed memory] [--n 24]
        [--sizes tiny base] [--memory-n 1000 10000] [--device cpu]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import soundfile as sf
import torch
from _machine import add_device_argument, resolve_device
from _machine import describe as describe_machine

RATE = 16000
SIZES = {
    "tiny": dict(
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        # the base models' feature encoder layout (50 frames a second), narrow
        conv_dim=(32,) * 7,
        conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        conv_stride=(5, 2, 2, 2, 2, 2, 2),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
    ),
    "base": dict(),  # Wav2Vec2Config's defaults: the base models' sizes
}


def save_model(folder, size):
    """A random wav2vec 2.0 model of ``size`` and its feature extractor."""
    import transformers

    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(feat_extract_norm="group", **SIZES[size])
    transformers.Wav2Vec2Model(config).save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor(return_attention_mask=False).save_pretrained(
        folder
    )
    return config.num_hidden_layers


def recordings(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = np.arange(int(rng.uniform(3, 8) * RATE)) / RATE
        tone = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 250) * t)
        out.append((tone + 0.05 * rng.standard_normal(len(t))).astype(np.float32))
    return out


def reference(folder, clips, layer, device):
    """The plain loop, clip by clip."""
    import transformers

    model = transformers.AutoModel.from_pretrained(folder).eval().to(device)
    extractor = transformers.AutoFeatureExtractor.from_pretrained(folder)
    out = []
    with torch.inference_mode():
        for clip in clips:
            inputs = extractor(clip, sampling_rate=RATE, return_tensors="pt")
            inputs = {k: v.to(device) for k, v in inputs.items()}
            result = model(**inputs, output_hidden_states=layer != "last")
            if layer == "last":
                state = result.last_hidden_state
            else:
                state = result.hidden_states[layer]
            out.append(state[0].mean(dim=0).float().cpu().numpy())
    return np.stack(out)


def timed(fn, repeats):
    best, value = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def speed(args, device):
    from skhyperdys.encoders import SpeechEncoder, clear_cache

    clips = recordings(args.n)
    seconds = sum(len(c) for c in clips) / RATE
    print(
        f"\n== speed: {args.n} recordings of 3-8 s ({seconds:.0f} s of audio), 16 kHz"
    )
    cores = os.cpu_count() or 1
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            n_layers = save_model(folder, size)
            for layer in ("last", n_layers // 2):
                ref_times = {}
                for threads in sorted({1, cores}):
                    torch.set_num_threads(threads)
                    reference(folder, clips[:2], layer, device)  # warm up
                    ref_times[threads], expected = timed(
                        lambda layer=layer: reference(folder, clips, layer, device),
                        args.repeats,
                    )
                torch.set_num_threads(cores)
                best_threads = min(ref_times, key=ref_times.get)
                ref = ref_times[best_threads]
                shown = ", ".join(
                    f"{t} thread(s) {s:.2f} s" for t, s in ref_times.items()
                )
                print(
                    f"{size}, layer={layer!r}: reference {args.n / ref:7.2f} clips/s "
                    f"(best of {shown}) <- reference"
                )
                for n_jobs, batch in ((None, 4), (cores, 1), (cores, 2)):
                    encoder = SpeechEncoder(
                        folder, layer=layer, sr=RATE, batch_size=batch, n_jobs=n_jobs,
                        device=str(device),
                    ).fit(clips[:1])  # fmt: skip
                    encoder.transform(clips[:2])  # warm up
                    took, got = timed(
                        lambda e=encoder: e.transform(clips), args.repeats
                    )
                    print(
                        f"{size}, layer={layer!r}: SpeechEncoder(n_jobs={n_jobs}, "
                        f"batch_size={batch}) {args.n / took:7.2f} clips/s, "
                        f"{ref / took:.2f}x the reference; max |library - reference| "
                        f"{np.abs(got - expected).max():.1e}",
                        flush=True,
                    )
        clear_cache()  # the next size's model in its place


_CHILD = """
import sys, time
from skhyperdys.encoders import SpeechEncoder


def status(field):  # MiB, from /proc/self/status (VmHWM: the peak since reset)
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024


folder, listing, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
paths = open(listing).read().split()
X = [paths[i % len(paths)] for i in range(n)]
encoder = SpeechEncoder(folder, layer="all", pooling="mean_std").fit(X[:1])
encoder.transform(X[:2])
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as file:
    file.write("5")  # restart the peak count (VmHWM) from here
start = time.perf_counter()
out = encoder.transform(X)
took = time.perf_counter() - start
print(before, status("VmHWM"), out.nbytes / 2**20, took)
"""


def memory(args):
    print(
        "\n== memory: transform of N file paths (tiny model, layer='all', "
        "mean_std), each N in a fresh process"
    )
    with tempfile.TemporaryDirectory() as folder:
        save_model(folder, "tiny")
        paths = []
        for i, clip in enumerate(recordings(20, seed=1)):
            paths.append(os.path.join(folder, f"clip{i}.wav"))
            sf.write(paths[-1], clip, RATE)
        listing = os.path.join(folder, "paths.txt")
        with open(listing, "w") as file:
            file.write("\n".join(paths))
        script = os.path.join(folder, "child.py")
        with open(script, "w") as file:
            file.write(textwrap.dedent(_CHILD))
        rows = []
        for n in args.memory_n:
            result = subprocess.run(
                [sys.executable, script, folder, listing, str(n)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            before, peak, output, took = map(float, result.stdout.split()[-4:])
            rows.append((n, peak - before, output))
            print(
                f"N={n:6d}: peak {peak:7.0f} MiB, {peak - before:6.1f} MiB above the "
                f"warmed-up encoder; the output itself {output:6.1f} MiB; "
                f"{n / took:.0f} clips/s",
                flush=True,
            )
        (n0, grow0, out0), (n1, grow1, out1) = rows[0], rows[-1]
        print(
            f"growth from N={n0} to N={n1}: {grow1 - grow0:+.1f} MiB, of which the "
            f"output {out1 - out0:.1f} MiB"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_device_argument(parser)
    parser.add_argument(
        "--parts", nargs="+", default=["speed", "memory"], choices=["speed", "memory"]
    )
    parser.add_argument("--n", type=int, default=24, help="recordings timed")
    parser.add_argument(
        "--sizes", nargs="+", default=["tiny", "base"], choices=list(SIZES)
    )
    parser.add_argument("--repeats", type=int, default=2, help="best of this many")
    parser.add_argument(
        "--memory-n", type=int, nargs="+", default=[1000, 10000],
        help="recordings of the memory part",
    )  # fmt: skip
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    describe_machine(device)
    if "speed" in args.parts:
        speed(args, device)
    if "memory" in args.parts:
        memory(args)


if __name__ == "__main__":
    main()
