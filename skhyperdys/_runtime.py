"""What a classifier works out for itself while it runs, and never saves.

skorch's ``__setattr__`` treats every attribute set on a net as a possible
parameter, module or optimizer; caches live instead in one plain object in
the instance's ``__dict__`` (:func:`runtime_of`), which pickling and model
files drop with one line.
"""

#: The ``__dict__`` key of the caches (left out of pickles and model files).
RUNTIME_KEY = "_runtime"


class RuntimeCaches:
    """The run-time state of one :class:`~skhyperdys.HypernetClassifier`.

    Attributes
    ----------
    grad_scaler : torch.amp.GradScaler or None
        The loss scale of the current float16 fit.
    dtype : tuple or None
        ``((precision, device), dtype)``: the compute dtype, checked once.
    inference : tuple or None
        ``(key, module)``: the model cast for reduced-precision prediction.
    weights_version : int
        Bumped at every weight update; stale cast copies are rebuilt.
    predicting : bool
        True while ``infer`` serves a prediction (the cast copy may serve it).
    members : bool
        True while ``infer`` serves :meth:`predict_member_proba` (each
        generated classifier's log-probabilities instead of the mixture's).
    fitting : bool
        True while ``fit`` runs (skorch's ``fit`` calls ``partial_fit``,
        which then leaves the end-of-fit check to ``fit``).
    novelty : skhyperdys._flags.NoveltyReference or None
        The training summaries with their spacing, made once per fit.
    """

    __slots__ = (
        "grad_scaler",
        "dtype",
        "inference",
        "weights_version",
        "predicting",
        "members",
        "fitting",
        "novelty",
    )

    def __init__(self):
        self.grad_scaler = None
        self.dtype = None
        self.inference = None
        self.weights_version = 0
        self.predicting = False
        self.members = False
        self.fitting = False
        self.novelty = None


def runtime_of(net):
    """The caches of ``net``, made on first use (past skorch's ``__setattr__``).

    Examples
    --------
    >>> from skhyperdys._runtime import runtime_of
    >>> class Net:
    ...     pass
    >>> net = Net()
    >>> runtime_of(net) is runtime_of(net), runtime_of(net).weights_version
    (True, 0)
    """
    caches = net.__dict__.get(RUNTIME_KEY)
    if caches is None:
        caches = net.__dict__[RUNTIME_KEY] = RuntimeCaches()
    return caches
