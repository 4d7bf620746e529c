"""
What the model sees: log-Mel, delta and delta-delta images
==========================================================

:class:`~skhyperdys.SpectrogramImages` turns each recording into a 3-channel
image: the log-Mel spectrogram, its first time derivative (Δ, "delta") and
its second (ΔΔ, "delta-delta"), each resized to the network's input size and
scaled with ImageNet's channel statistics. This example shows the three
channels for a healthy-like and a dysarthric-like speaker of the built-in
data, both repeating /pa/.
"""

import matplotlib.pyplot as plt
import numpy as np

from skhyperdys import SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions
from skhyperdys.plotting import plot_feature_image

data = make_syllable_repetitions(60, random_state=0)
healthy = data.data[int(np.flatnonzero(data.target == 0)[0])]
dysarthric = data.data[int(np.flatnonzero(data.target == 1)[0])]

# %%
# The default settings: 8 kHz audio (VOC-ALS's rate), 512-sample frames every
# 128 samples (64 ms / 16 ms), 128 Mel bands up to 4 kHz, deltas over 9
# frames, 224x224 images.
images = SpectrogramImages(sr=data.sr)
fig, axes = plt.subplots(2, 3, figsize=(14, 7), layout="constrained")
plot_feature_image(healthy, images, axes=axes[0])
plot_feature_image(dysarthric, images, axes=axes[1])
axes[0, 0].set_title("healthy-like speaker: log-Mel")
axes[1, 0].set_title("dysarthric-like speaker: log-Mel")
plt.show()

# %%
# How to read it: in the log-Mel channel each /pa/ is a vertical band (the
# burst of /p/, then the vowel's harmonics). Δ is bright where energy rises
# and dark where it falls, so syllable onsets and offsets stand out as
# alternating stripes; ΔΔ marks where that change itself speeds up or slows
# down. The dysarthric-like speaker repeats more slowly and less regularly,
# with weaker bursts and a breathier voice: fewer, unevenly spaced and less
# sharply defined stripes in Δ and ΔΔ. Those timing and articulation cues are
# what the classifier can learn from.
#
# ``features="mfcc"`` gives the MFCC variant of the paper's ablation: the same
# three channels computed from 40 MFCCs instead of 128 log-Mel bands.
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), layout="constrained")
plot_feature_image(
    dysarthric, SpectrogramImages(sr=data.sr, features="mfcc"), axes=axes
)
plt.show()
