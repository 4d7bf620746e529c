"""
Grid search over the context dimension
======================================

How much does the size of the hypernetwork's context vector matter? The
paper's suggested sweep: ``context_dim`` in {32, 64, 128, 256}, scored by
subject-wise stratified cross-validation with ``GridSearchCV`` over the whole
pipeline.

Small settings so that it finishes in a few minutes on a 2-core CPU: 64x64
images, a randomly initialised AlexNet, 3 folds and 6 epochs.
"""

import time

import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from skhyperdys import HypernetClassifier, SpectrogramImages
from skhyperdys.datasets import make_syllable_repetitions

data = make_syllable_repetitions(150, random_state=0)

pipe = Pipeline(
    [
        ("images", SpectrogramImages(image_size=(64, 64), n_mels=64)),
        (
            "clf",
            HypernetClassifier(
                weights=None, max_epochs=6, batch_size=16, random_state=0
            ),
        ),
    ]
)
search = GridSearchCV(
    pipe,
    {"clf__context_dim": [32, 64, 128, 256]},
    cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0),
    scoring="accuracy",
)
print(
    "settings: 64x64 images, 6 epochs, 3 folds, random-init AlexNet, "
    "built-in synthetic data"
)
start = time.perf_counter()
search.fit(data.data, data.target, groups=data.groups)
print(f"grid search took {time.perf_counter() - start:.0f} s\n")

columns = [
    "param_clf__context_dim",
    "mean_test_score",
    "std_test_score",
    "rank_test_score",
    "mean_fit_time",
]
table = pd.DataFrame(search.cv_results_)[columns]
table.columns = ["context_dim", "mean accuracy", "std", "rank", "fit time (s)"]
print(table.to_string(index=False, float_format="%.3f"))
print("\nbest:", search.best_params_)
