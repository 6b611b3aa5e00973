"""Environments for reinforcement learning: any gymnasium environment as a source of observations for a
spiking network (BindsNET's ``bindsnet.environment``, on gymnasium 1.x).

>>> env = GymEnvironment("CartPole-v1", seed=0)                  # the raw 4-vector observations
>>> env = GymEnvironment("SpaceInvaders-v0", seed=0)             # doctest: +SKIP
>>> env.observation_shape                                        # doctest: +SKIP
(78, 84)

``reset()`` gives the first observation, ``step(action)`` gives ``(obs, reward, done, info)`` with ``done =
terminated or truncated`` (gymnasium's two flags are in ``info``; ``raw_reward`` keeps the reward before
``clip_rewards``).  Observations are numpy arrays after the
preprocessing (``preprocess``), the frame history (``history_length``, ``delta``) and never encoded:
:class:`~snngen.ml.pipelines.EnvironmentPipeline` turns them into spikes with its ``encoding``, or with this
environment's ``encoder``.

**Preprocessing** (``preprocess="auto"``): Atari frames (``(210, 160, 3)`` images of ale-py's games) become
binary images as in the BindsNET paper (Hazan et al. 2018): SpaceInvaders: grey, resized to 110 x 84, rows
26-103 kept (78 x 84 = 6,552 pixels), a pixel is 1 where the grey image is not 0; Breakout: rows 34-193 kept,
grey, resized to 80 x 80, binary.  Other images: grey and binary at their own size.  Other observations (a
vector: CartPole's position, velocity, angle, angular velocity): unchanged, as float64.  ``preprocess=None``
keeps every observation as gymnasium gives it; a function ``f(obs) -> array`` replaces the recipe.  The
building blocks are here: :func:`gray`, :func:`crop`, :func:`resize`, :func:`binary`.

**History** (``history_length=k``, ``delta=d``): every ``d``-th frame of an episode (0, d, 2d ...) is kept,
the last ``k`` of them; once ``k`` are kept, the observation returned is ``clip(obs - sum(kept), 0, 1)``
(pixels on now that were off in every kept frame: what moved), computed before this frame is kept.

**Vectorised** (``num_envs=B``): B copies of the environment (gymnasium's ``SyncVectorEnv``, each resetting
itself in the step its episode ends), for a network of ``batch_size=B``: ``step`` takes B actions and
gives ``(B, *shape)`` observations, B rewards, B ``done`` flags.  A gymnasium ``VectorEnv`` may be given
instead of a name.

Atari names need ale-py (``pip install ale-py``: it ships the ROMs).  Old names still work:
``SpaceInvaders-v0`` (frames skipped at random, 2-4, actions repeated with probability 0.25, as the
paper's), ``BreakoutDeterministic-v4`` (4 frames per step: ``BreakoutNoFrameskip-v4`` with ``frameskip=4``).
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from ..errors import ModelError

__all__ = ["GymEnvironment", "binary", "crop", "gray", "resize"]


# -- image preprocessing ----------------------------------------------------------------------------------------
def gray(image):
    """An RGB image ``(H, W, 3)`` as grey levels ``(H, W)`` (ITU-R BT.601 weights, the usual luma), float."""
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float64)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ModelError(f"gray: needs an (H, W, 3) image, not shape {image.shape}")
    return image[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def crop(image, rows=None, cols=None):
    """Keep ``rows=(first, last)`` and ``cols=(first, last)`` (inclusive) of an image."""
    image = np.asarray(image)
    r0, r1 = rows if rows is not None else (0, image.shape[0] - 1)
    c0, c1 = cols if cols is not None else (0, image.shape[1] - 1)
    if not (0 <= r0 <= r1 < image.shape[0] and 0 <= c0 <= c1 < image.shape[1]):
        raise ModelError(f"crop: rows {r0}-{r1}, columns {c0}-{c1} are outside the image of shape {image.shape}")
    return image[r0:r1 + 1, c0:c1 + 1]


def resize(image, shape):
    """Bilinear resize of a 2-D image to ``shape=(rows, cols)``, pixel centres aligned (the convention of
    OpenCV's and Pillow's bilinear resize without antialiasing)."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ModelError(f"resize: needs a 2-D (grey) image, not shape {image.shape}")
    rows, cols = int(shape[0]), int(shape[1])
    if rows < 1 or cols < 1:
        raise ModelError(f"resize: the new shape must be positive, not {shape}")

    def axis(n_out, n_in):
        x = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        x = np.clip(x, 0, n_in - 1)
        lo = np.floor(x).astype(np.intp)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, x - lo

    r_lo, r_hi, fr = axis(rows, image.shape[0])
    c_lo, c_hi, fc = axis(cols, image.shape[1])
    top = image[r_lo][:, c_lo] * (1 - fc) + image[r_lo][:, c_hi] * fc
    bottom = image[r_hi][:, c_lo] * (1 - fc) + image[r_hi][:, c_hi] * fc
    return top * (1 - fr)[:, None] + bottom * fr[:, None]


def binary(image, threshold=0.0):
    """1 where ``image > threshold``, else 0 (float)."""
    return (np.asarray(image) > threshold).astype(np.float64)


def _space_invaders(frame):
    return binary(crop(resize(gray(frame), (110, 84)), rows=(26, 103)))


def _breakout(frame):
    return binary(resize(gray(crop(frame, rows=(34, 193))), (80, 80)))


def _image(frame):
    return binary(gray(frame))


def _vector(obs):
    return np.asarray(obs, dtype=np.float64)


_RECIPES = {"space_invaders": _space_invaders, "breakout": _breakout}


def _game(env):
    """ale-py's game name of an environment (``"space_invaders"``), or None."""
    spec = getattr(env, "spec", None)
    game = (getattr(spec, "kwargs", None) or {}).get("game")
    if game is None and spec is not None:  # ALE/SpaceInvaders-v5 names its game in the id
        m = re.match(r"(?:ALE/)?([A-Za-z]+?)(?:NoFrameskip)?-v\d+$", spec.id or "")
        if m and spec.entry_point and "ale_py" in str(spec.entry_point):
            game = re.sub(r"(?<!^)(?=[A-Z])", "_", m.group(1)).lower()
    return game


# -- making gymnasium environments ------------------------------------------------------------------------------
def _gym():
    try:
        import gymnasium
    except ImportError:
        raise ModelError("GymEnvironment needs gymnasium: pip install gymnasium") from None
    return gymnasium


def _register_atari(gym):
    try:
        import ale_py
    except ImportError:
        return False
    gym.register_envs(ale_py)
    return True


_DETERMINISTIC = re.compile(r"^(?P<game>[A-Za-z]+)Deterministic-v(?P<v>[04])$")


def _resolve(name, kwargs):
    """The registry id and make() arguments for ``name`` (old ``...Deterministic-v4`` names mapped); an
    unknown name is an error naming the closest ones gymnasium knows."""
    gym = _gym()
    m = _DETERMINISTIC.match(name)
    if m:  # gym's old names: 4 frames per step (3 for SpaceInvaders, whose lasers blink)
        frameskip = 3 if m["game"] == "SpaceInvaders" else 4
        name = f"{m['game']}NoFrameskip-v{m['v']}"
        kwargs = {"frameskip": frameskip, **kwargs}
    if name not in gym.registry:
        atari = _register_atari(gym)
        if name not in gym.registry:
            close = difflib.get_close_matches(name, list(gym.registry), n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            if not atari and re.search(r"NoFrameskip|ALE/|-v[045]$", name) and not close:
                hint += " (Atari games need ale-py: pip install ale-py)"
            raise ModelError(f"GymEnvironment: gymnasium knows no environment {name!r}.{hint}")
    return name, kwargs


class GymEnvironment:
    """A gymnasium environment (or ``num_envs`` of them) giving preprocessed numpy observations.

    Parameters
    ----------
    name : str or gymnasium.Env or gymnasium.vector.VectorEnv
        An id gymnasium knows (``"CartPole-v1"``, ``"SpaceInvaders-v0"``, ``"ALE/Breakout-v5"``), or an
        environment made already.
    preprocess : ``"auto"``, None or a function ``obs -> array``
        See the module's text.
    history_length, delta : int, optional
        The frame history (see the module's text); ``delta`` 1 by default.
    clip_rewards : bool
        Rewards as their sign (-1, 0, 1), as the paper's Atari agents.
    encoder : optional
        A function ``(obs, time, dt, rng) -> spikes (time/dt, *shape)``, or one of
        :mod:`snngen.ml.encoding`'s functions (``bernoulli``, ``poisson`` ...); :meth:`encode` uses it.
        Default: ``bernoulli`` with ``max_prob`` for images, none for other observations.
    max_prob : float
        The default encoder's spike probability of a pixel of value 1 in each step.
    seed : int, optional
        Seeds the first reset (gymnasium seeds an environment once; later resets go on from that stream),
        and the action space's random samples.
    num_envs : int, optional
        Vectorised: this many copies (see the module's text).
    render_mode : optional
        gymnasium's (``None``: no rendering, the fastest; ``"rgb_array"``, ``"human"``).
    **make_kwargs
        Passed to ``gymnasium.make``.
    """

    def __init__(self, name, preprocess="auto", history_length=None, delta=1, clip_rewards=False, encoder=None,
                 max_prob=1.0, seed=None, num_envs=None, render_mode=None, **make_kwargs):
        gym = _gym()
        self.seed = seed
        self.clip_rewards = bool(clip_rewards)
        self.max_prob = float(max_prob)
        if not 0.0 <= self.max_prob <= 1.0:
            raise ModelError(f"GymEnvironment: max_prob is a probability, not {max_prob}")
        if isinstance(name, str):
            env_id, kwargs = _resolve(name, make_kwargs)
            if num_envs is None:
                self.env = gym.make(env_id, render_mode=render_mode, **kwargs)
            else:
                num_envs = int(num_envs)
                if num_envs < 1:
                    raise ModelError(f"GymEnvironment: num_envs must be at least 1, not {num_envs}")
                self.env = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync",
                                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
                                        render_mode=render_mode, **kwargs)
            self.name = name
        else:
            if make_kwargs or num_envs is not None:
                raise ModelError("GymEnvironment: num_envs and gymnasium.make arguments go with a name, not with an "
                                 "environment made already")
            self.env = name
            self.name = getattr(getattr(name, "spec", None), "id", None) or type(name).__name__
        self.vector = isinstance(self.env, gym.vector.VectorEnv)
        if self.vector:
            mode = self.env.metadata.get("autoreset_mode")
            if mode is not None and mode != gym.vector.AutoresetMode.SAME_STEP:
                raise ModelError(f"GymEnvironment: a VectorEnv must reset its copies in the step their episode ends "
                                 f"(autoreset_mode=AutoresetMode.SAME_STEP), not {mode}")
        self.num_envs = self.env.num_envs if self.vector else None
        space = self.env.single_action_space if self.vector else self.env.action_space
        self.action_space = space
        self.n_actions = int(space.n) if hasattr(space, "n") else None
        obs_space = self.env.single_observation_space if self.vector else self.env.observation_space
        self._preprocess = self._recipe(preprocess, obs_space)
        if history_length is not None and int(history_length) < 1:
            raise ModelError(f"GymEnvironment: history_length must be at least 1, not {history_length}")
        if int(delta) < 1:
            raise ModelError(f"GymEnvironment: delta must be at least 1, not {delta}")
        self.history_length = None if history_length is None else int(history_length)
        self.delta = int(delta)
        self.encoder = encoder
        self.rng = np.random.default_rng(seed)
        if seed is not None:
            self.action_space.seed(int(seed))
        self._seeded = False
        self.observation_shape = tuple(np.shape(self._preprocess(obs_space.sample())))
        self.obs = None
        self.raw_reward = None
        self._history, self._t = [], None

    def _recipe(self, preprocess, obs_space):
        if preprocess is None:
            return np.asarray
        if callable(preprocess):
            return preprocess
        if preprocess != "auto":
            raise ModelError(f"GymEnvironment: preprocess is 'auto', None or a function, not {preprocess!r}")
        shape = getattr(obs_space, "shape", None) or ()
        if len(shape) == 3 and shape[-1] in (3, 4):
            env = self.env.envs[0] if self.vector and hasattr(self.env, "envs") else self.env
            return _RECIPES.get(_game(env), _image)
        return _vector

    @property
    def is_image(self):
        return len(self.observation_shape) >= 2

    # -- gymnasium's calls --------------------------------------------------------------------------------------
    def reset(self, seed=None):
        """A new episode (of every copy): its first observation."""
        if seed is None and not self._seeded and self.seed is not None:
            seed = int(self.seed)
        self._seeded = True
        obs, self.info = self.env.reset(seed=seed)
        self._history = [[] for _ in range(self.num_envs)] if self.vector else []
        self._t = np.zeros(self.num_envs, dtype=np.int64) if self.vector else 0
        self.obs = self._observe(obs)
        return self.obs

    def step(self, action):
        """Act: ``(obs, reward, done, info)``; vectorised, ``action`` holds one action per copy and a copy whose
        episode ended gives the first observation of its next one (its last is ``info["final_obs"]``)."""
        if self.obs is None:
            raise ModelError("GymEnvironment.step: call reset() first")
        if self.vector:
            action = np.asarray(action)
            if action.shape != (self.num_envs,):
                raise ModelError(f"GymEnvironment.step: {self.num_envs} environments need {self.num_envs} actions, "
                                 f"not an array of shape {action.shape}")
        elif self.n_actions is not None:
            if np.ndim(action) != 0 or not 0 <= int(action) < self.n_actions:
                raise ModelError(f"GymEnvironment.step: the action must be one of 0..{self.n_actions - 1} "
                                 f"({self.name}), not {action!r}")
            action = int(action)
        obs, reward, terminated, truncated, info = self.env.step(action)
        done = np.logical_or(terminated, truncated)
        if not self.vector:
            done = bool(done)
            reward = float(reward)
        else:
            reward = np.asarray(reward, dtype=np.float64)
        self.raw_reward = reward  # before clipping: the game's points
        if self.clip_rewards:
            reward = np.sign(reward) if self.vector else float(np.sign(reward))
        info = dict(info, terminated=terminated, truncated=truncated)
        if self.vector and np.any(done):
            # a copy whose episode ended was reset: obs holds its next episode's first frame, and its last
            # frame is info["final_obs"]; "final_observation" is every copy's latest frame of its episode
            final = info["final_obs"]
            last = {b: self._one(final[b], self._history[b], int(self._t[b])) for b in np.flatnonzero(done)}
            self._t[done] = -1  # the next episode's first frame is frame 0
            for b in last:
                self._history[b] = []
            self._t = self._t + 1
            self.obs = self._observe(obs)
            info["final_observation"] = np.stack([last.get(b, o) for b, o in enumerate(self.obs)])
            return self.obs, reward, done, info
        self._t = self._t + 1
        self.obs = self._observe(obs)
        return self.obs, reward, done, info

    def _observe(self, obs):
        if self.vector:
            return np.stack([self._one(o, self._history[b], int(self._t[b])) for b, o in enumerate(obs)])
        return self._one(obs, self._history, self._t)

    def _one(self, obs, history, t):
        obs = np.asarray(self._preprocess(obs), dtype=np.float64)
        if self.history_length is None:
            return obs
        seen = np.clip(obs - np.sum(history, axis=0), 0.0, 1.0) if len(history) == self.history_length else obs
        if t % self.delta == 0:
            history.append(obs)
            if len(history) > self.history_length:
                del history[0]
        return seen

    def encode(self, obs, time, dt=1.0, rng=None):
        """Spikes ``(time/dt, *shape)`` for ``obs`` (``(time/dt, B, *shape)`` for a vector of observations),
        with this environment's ``encoder``."""
        from . import encoding

        rng = self.rng if rng is None else rng
        encoder = self.encoder
        if encoder is None:
            if not self.is_image:
                raise ModelError(f"GymEnvironment({self.name!r}): its observations ({self.observation_shape}, not an "
                                 "image) have no default spike code: give an encoding (e.g. receptive fields of "
                                 "each variable) to the pipeline, or encoder= here")

            def encoder(o, time, dt, rng):
                return encoding.bernoulli(o, time=time, dt=dt, max_prob=self.max_prob, rng=rng)
        if self.vector:
            return np.stack([np.asarray(encoder(o, time=time, dt=dt, rng=rng)) for o in obs], axis=1)
        return np.asarray(encoder(obs, time=time, dt=dt, rng=rng))

    def sample_action(self):
        """A uniformly random action (one per copy, vectorised), from the seeded action space."""
        if self.vector:
            return np.array([self.action_space.sample() for _ in range(self.num_envs)])
        return self.action_space.sample()

    def render(self):
        return self.env.render()

    def close(self):
        self.env.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        extra = f", num_envs={self.num_envs}" if self.vector else ""
        return f"GymEnvironment({self.name!r}{extra}, observation_shape={self.observation_shape})"
